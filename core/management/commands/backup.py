from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "备份数据库与全部上传、生成的文件到一个带日期的归档（含校验清单）"

    def add_arguments(self, parser):
        parser.add_argument("--output", default="backups", help="归档存放目录（默认 backups/）")

    def handle(self, *args, output: str, **options):
        try:
            result = backup_create(directory=Path(output))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        size = result.bytes / 1048576
        self.stdout.write(
            self.style.SUCCESS(f"已备份：{result.path}（文件 {result.files} 个，共 {size:.1f} MB）")
        )
