from django.core.management.base import BaseCommand

from emergency_list.services.measures import templates_load_all


class Command(BaseCommand):
    help = "载入减排措施模板（行业技术指南原文及地方默认设置，可重复执行）"

    def handle(self, *args, **options):
        n = templates_load_all()
        self.stdout.write(self.style.SUCCESS(f"减排措施模板已载入：{n} 条"))
