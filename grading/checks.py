"""Start-up checks for what renders documents: a missing library degrades silently otherwise."""

from django.core.checks import Warning, register


@register()
def harfbuzz_subset_check(app_configs, **kwargs):
    try:
        from weasyprint.text.ffi import harfbuzz_subset
    except (ImportError, OSError):  # pragma: no cover - WeasyPrint itself missing
        return [Warning("WeasyPrint 无法加载", id="grading.W001")]
    if harfbuzz_subset is None:
        return [
            Warning(
                "未安装 libharfbuzz-subset0：PDF 字体子集化不可用，生成速度将显著下降",
                hint="apt-get install libharfbuzz-subset0",
                id="grading.W002",
            )
        ]
    return []
