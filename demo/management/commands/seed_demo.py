import time

from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone

from demo.services import DEMO_PASSWORD, demo_users_ensure, enterprises_seed
from emergency_list.models import MeasureTemplate
from emergency_list.services.entries import list_generate
from emergency_list.services.measures import templates_load_all
from grading.models import Enterprise, Region, User
from grading.services.reference import reference_load


class Command(BaseCommand):
    help = "生成演示数据：覆盖全省各县区和各行业的企业，以及每种角色的演示账户（可重复执行）"

    def add_arguments(self, parser):
        parser.add_argument("--enterprises", type=int, default=2000, help="企业数量（默认2000）")
        parser.add_argument("--password", default=DEMO_PASSWORD, help="演示账户密码")
        parser.add_argument("--seed", type=int, default=2026, help="随机种子")

    def handle(self, *args, enterprises: int, password: str, seed: int, **options):
        started = time.monotonic()
        if not Region.objects.exists():
            reference_load()

        def progress(done: int) -> None:
            if options.get("verbosity", 1) >= 1 and (done % 10000 == 0 or done == enterprises):
                self.stdout.write(f"  企业 {done}/{enterprises}")

        created = enterprises_seed(count=enterprises, seed=seed, progress=progress)
        if created and connection.vendor == "postgresql":
            # Fresh statistics after a bulk load, or the planner guesses wildly on big lists.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        users = demo_users_ensure(password=password)
        self._demo_list()
        self.stdout.write(
            self.style.SUCCESS(
                f"新增企业 {created} 家，共 {Enterprise.objects.count()} 家；"
                f"用时 {time.monotonic() - started:.1f} 秒"
            )
        )
        self.stdout.write(f"演示账户（密码：{password}）：")
        for username, role, where in users:
            self.stdout.write(f"  {username:<16} {role}  {where}")

    def _demo_list(self) -> None:
        """The demo county's emergency list for this year, so the list pages show data."""
        if not MeasureTemplate.objects.exists():
            templates_load_all()
        county_user = User.objects.get(username="demo-county")
        n = list_generate(
            actor=county_user, county=county_user.region, year=timezone.localdate().year
        )
        self.stdout.write(f"已编制{county_user.region.name}应急减排清单：{n} 家")
