import pytest
from django.core.exceptions import ValidationError

from grading.validators import validate_uscc

REAL_CODES = ["91350100M000100Y43", "91110000600037341L"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_uscc_accepts_real_codes(code):
    validate_uscc(code)


@pytest.mark.parametrize("code", REAL_CODES)
def test_uscc_rejects_wrong_check_character(code):
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        validate_uscc(wrong)
    assert "校验位" in exc.value.messages[0]


@pytest.mark.parametrize(
    "code,word", [("9135010", "18位"), ("91350100M000100YO3", "格式"), ("", "18位")]
)
def test_uscc_rejects_bad_length_and_letters(code, word):
    with pytest.raises(ValidationError) as exc:
        validate_uscc(code)
    assert word in exc.value.messages[0]
