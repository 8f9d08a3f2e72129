from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, backup_restore, backup_verify


class Command(BaseCommand):
    help = "从备份归档恢复到空的数据库和空的文件存储，恢复前后核对校验清单"

    def add_arguments(self, parser):
        parser.add_argument("archive", help="backup 命令生成的 .tar 归档")
        parser.add_argument("--check-only", action="store_true", help="只核对归档，不恢复")

    def handle(self, *args, archive: str, check_only: bool, **options):
        try:
            if check_only:
                manifest = backup_verify(Path(archive))
                self.stdout.write(self.style.SUCCESS(f"归档完好：文件 {len(manifest['files'])} 个"))
                return
            manifest = backup_restore(path=Path(archive))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        vendor, files = manifest["database"]["vendor"], len(manifest["files"])
        self.stdout.write(
            self.style.SUCCESS(
                f"已恢复：数据库（{vendor}）与文件 {files} 个；备份时间 {manifest['created_at']}"
            )
        )
