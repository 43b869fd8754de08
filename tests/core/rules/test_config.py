from pathlib import Path

import pytest

from liaison.core.enums import ContactMode
from liaison.core.rules.config import (
    RuleConfigError,
    default_rule_config,
    load_rule_config,
)


def test_shipped_defaults() -> None:
    config = load_rule_config()
    assert config == default_rule_config()
    assert default_rule_config() is default_rule_config()
    assert config.subsidy.living_economic_flags == ("dibao",)
    assert config.subsidy.care_grades == {1, 2}
    (ext,) = config.subsidy.care_extensions
    assert (ext.enabled, ext.grades, ext.categories) == (False, {3}, {5, 6})
    assert config.cadence.intensive_triggers == ("severe", "lives_alone", "dibao")
    intensive, regular = config.cadence.intensive, config.cadence.regular
    assert (intensive.interval_days, intensive.lead_days, intensive.grace_days) == (30, 7, 7)
    assert (regular.interval_days, regular.lead_days, regular.grace_days) == (90, 14, 15)
    assert config.cadence.annual_survey.opens == (3, 1)
    assert config.cadence.annual_survey.deadline == (10, 31)
    assert config.cadence.first_contact_days == 15
    assert config.cadence.contact_modes == {
        ContactMode.HOME,
        ContactMode.IN_PERSON,
        ContactMode.PHONE,
    }
    assert (config.alerts.need_alert_days, config.alerts.cert_expiry_days) == (30, 60)
    assert config.child_rescue.age_max == 6
    assert config.child_rescue.cap_fen("training") == 2_400_000
    assert config.child_rescue.cap_fen("surgery") == 2_550_000
    assert config.child_rescue.cap_fen("device") == 6_250_000
    p = config.priority
    assert p.severe > p.multiple > p.elderly > p.chronic_illness > p.dibao_or_tekun > 0
    assert p.elderly_age == 60
    assert config.modification.household_cap_fen == 600_000


def test_overrides_change_only_the_named_values() -> None:
    config = load_rule_config(
        overrides={
            "cadence": {"intensive": {"interval_days": 20}},
            "subsidy": {
                "living": {"economic_flags": ["dibao", "tekun"]},
                "care": {"extensions": {"grade3_intellectual_mental": {"enabled": True}}},
            },
        }
    )
    default = default_rule_config()
    assert config.cadence.intensive.interval_days == 20
    assert config.cadence.intensive.lead_days == default.cadence.intensive.lead_days
    assert config.cadence.regular == default.cadence.regular
    assert config.subsidy.living_economic_flags == ("dibao", "tekun")
    (ext,) = config.subsidy.care_extensions
    assert ext.enabled and ext.grades == {3} and ext.categories == {5, 6}
    assert config.alerts == default.alerts


def test_override_adds_a_new_extension() -> None:
    config = load_rule_config(
        overrides={
            "subsidy": {
                "care": {
                    "extensions": {
                        "grade4_mental": {"enabled": True, "grades": [4], "categories": [6]}
                    }
                }
            }
        }
    )
    names = {ext.name: ext for ext in config.subsidy.care_extensions}
    assert set(names) == {"grade3_intellectual_mental", "grade4_mental"}
    assert names["grade4_mental"].grades == {4}


def test_zero_lead_and_grace_are_allowed() -> None:
    config = load_rule_config(overrides={"cadence": {"regular": {"lead_days": 0, "grace_days": 0}}})
    assert (config.cadence.regular.lead_days, config.cadence.regular.grace_days) == (0, 0)


@pytest.mark.parametrize(
    ("overrides", "key", "message"),
    [
        ({"cadence": {"intensive": {"interval_days": -3}}}, "cadence.intensive.interval_days",
         "规则配置 cadence.intensive.interval_days 应为正整数，实际为 -3"),
        ({"cadence": {"intensive": {"interval_days": 0}}}, "cadence.intensive.interval_days",
         "规则配置 cadence.intensive.interval_days 应为正整数，实际为 0"),
        ({"cadence": {"regular": {"grace_days": -1}}}, "cadence.regular.grace_days",
         "规则配置 cadence.regular.grace_days 应为非负整数，实际为 -1"),
        ({"cadence": {"regular": {"lead_days": "14"}}}, "cadence.regular.lead_days",
         "规则配置 cadence.regular.lead_days 应为非负整数，实际为 \"14\""),
        ({"cadence": {"regular": {"lead_days": 1.5}}}, "cadence.regular.lead_days",
         "规则配置 cadence.regular.lead_days 应为非负整数，实际为 1.5"),
        ({"alerts": {"need_alert_days": True}}, "alerts.need_alert_days",
         "规则配置 alerts.need_alert_days 应为正整数，实际为 true"),
        ({"alerts": {"need_alert_dayz": 10}}, "alerts.need_alert_dayz",
         "规则配置 alerts.need_alert_dayz 不是已知的设置项"),
        ({"alert": {"need_alert_days": 10}}, "alert", "规则配置 alert 不是已知的设置项"),
        ({"alerts": 30}, "alerts", "规则配置 alerts 应为一个表，实际为 30"),
        ({"subsidy": {"living": {"economic_flags": ["dibao", "poor"]}}},
         "subsidy.living.economic_flags",
         "规则配置 subsidy.living.economic_flags 应为由 "
         "[\"dibao\", \"tekun\", \"low_income\", \"fanpin_monitor\"] 中的值组成的列表，"
         "实际为 [\"dibao\", \"poor\"]"),
        ({"subsidy": {"living": {"economic_flags": []}}}, "subsidy.living.economic_flags", None),
        ({"subsidy": {"care": {"grades": [1, 5]}}}, "subsidy.care.grades",
         "规则配置 subsidy.care.grades 应为由 1–4 组成的非空列表，实际为 [1, 5]"),
        ({"subsidy": {"care": {"extensions": {"grade3_intellectual_mental": {"enabled": "yes"}}}}},
         "subsidy.care.extensions.grade3_intellectual_mental.enabled",
         "规则配置 subsidy.care.extensions.grade3_intellectual_mental.enabled "
         "应为 true 或 false，实际为 \"yes\""),
        ({"subsidy": {"care": {"extensions": {"x": {"enabled": True, "grades": [3]}}}}},
         "subsidy.care.extensions.x.categories",
         "规则配置缺少 subsidy.care.extensions.x.categories"),
        ({"subsidy": {"care": {"extensions": {"x": {"enabled": True, "grades": [3],
                                                    "categories": [8]}}}}},
         "subsidy.care.extensions.x.categories", None),
        ({"cadence": {"intensive": {"triggers": ["severe", "elderly"]}}},
         "cadence.intensive.triggers", None),
        ({"cadence": {"contact_modes": ["home", "lost"]}}, "cadence.contact_modes", None),
        ({"cadence": {"annual_survey": {"opens": "02-29"}}}, "cadence.annual_survey.opens",
         "规则配置 cadence.annual_survey.opens 应为“月-日”格式的日期（如 \"03-01\"），"
         "实际为 \"02-29\""),
        ({"cadence": {"annual_survey": {"deadline": "1031"}}}, "cadence.annual_survey.deadline",
         None),
        ({"cadence": {"annual_survey": {"deadline": 1031}}}, "cadence.annual_survey.deadline",
         None),
        ({"cadence": {"annual_survey": {"opens": "11-01"}}}, "cadence.annual_survey.opens",
         "规则配置 cadence.annual_survey.opens 应早于 cadence.annual_survey.deadline"),
        ({"child_rescue": {"yearly_cap_fen": {"device": -1}}}, "child_rescue.yearly_cap_fen.device",
         "规则配置 child_rescue.yearly_cap_fen.device 应为正整数，实际为 -1"),
        ({"child_rescue": {"age_max": -1}}, "child_rescue.age_max", None),
        ({"priority": {"weights": {"severe": -40}}}, "priority.weights.severe", None),
        ({"modification": {"household_cap_fen": "6000"}}, "modification.household_cap_fen", None),
    ],
)  # fmt: skip
def test_bad_values_name_the_key(overrides: dict, key: str, message: str | None) -> None:
    with pytest.raises(RuleConfigError) as err:
        load_rule_config(overrides=overrides)
    assert err.value.key == key
    assert key in err.value.message
    if message is not None:
        assert err.value.message == message
    assert isinstance(err.value, ValueError)


def _shipped_text() -> str:
    from liaison.core.resources import resource_path

    return resource_path("rules", "defaults.toml").read_text(encoding="utf-8")


def test_missing_key_in_a_county_file(tmp_path: Path) -> None:
    path = tmp_path / "county.toml"
    path.write_text(_shipped_text().replace("cert_expiry_days = 60", ""), encoding="utf-8")
    with pytest.raises(RuleConfigError) as err:
        load_rule_config(path)
    assert err.value.message == "规则配置缺少 alerts.cert_expiry_days"


def test_county_file_with_overrides(tmp_path: Path) -> None:
    path = tmp_path / "county.toml"
    path.write_text(_shipped_text().replace("need_alert_days = 30", "need_alert_days = 20"))
    config = load_rule_config(path, overrides={"alerts": {"cert_expiry_days": 90}})
    assert (config.alerts.need_alert_days, config.alerts.cert_expiry_days) == (20, 90)


def test_broken_toml(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[alerts\nneed_alert_days = 30\n")
    with pytest.raises(RuleConfigError) as err:
        load_rule_config(path)
    assert err.value.message.startswith(f"规则配置文件 {path} 格式错误：")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RuleConfigError) as err:
        load_rule_config(tmp_path / "nope.toml")
    assert err.value.message.startswith("无法读取规则配置文件 ")
