from django.core.management.base import BaseCommand

from grading.services.reference import reference_load


class Command(BaseCommand):
    help = "载入行政区划、行业、分级体系、指标体系和占比目标（可重复执行）"

    def handle(self, *args, **options):
        counts = reference_load()
        self.stdout.write(
            self.style.SUCCESS(
                "参考数据已载入：" + "，".join(f"{k} {v}" for k, v in counts.items())
            )
        )
