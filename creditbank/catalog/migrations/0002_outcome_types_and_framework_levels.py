"""The eleven outcome types of the seeds and the ten levels of the learning-outcome framework."""

from django.db import migrations

OUTCOME_TYPES = [
    ("degree_course", "学历教育课程"),
    ("self_study_exam", "自学考试课程"),
    ("non_degree_training", "非学历培训"),
    ("skill_level_certificate", "职业技能等级证书"),
    ("one_plus_x", "1+X证书"),
    ("professional_qualification", "职业资格证书"),
    ("competition_award", "竞赛获奖"),
    ("technical_innovation", "技术革新"),
    ("practice", "实践经历"),
    ("community_elderly", "社区与老年教育"),
    ("mooc", "在线课程"),
]

LEVELS = [
    (1, "一级", "掌握日常生活与工作所需的基础知识，能在指导下完成简单、重复的任务。"),
    (2, "二级", "掌握某一领域的基本事实性知识，能按既定规程完成常规任务。"),
    (3, "三级", "理解某一领域的基本原理，能独立完成常规任务并处理简单问题。"),
    (4, "四级", "掌握某一职业领域较系统的知识与技能，能在变化的情境中完成任务（初级技能）。"),
    (5, "五级", "掌握较宽的专业知识与技能，能解决较复杂的实际问题并指导他人（中级技能、专科）。"),
    (6, "六级", "掌握系统的专业理论与实践技能，能分析与解决复杂问题（高级技能、本科）。"),
    (7, "七级", "具备深入的专业知识，能在复杂多变的环境中创新地解决问题并承担管理责任。"),
    (8, "八级", "掌握学科前沿知识，能独立开展研究或技术开发（硕士、技师）。"),
    (9, "九级", "在专业领域具有系统的前沿知识，能主持重大项目与技术革新（高级技师）。"),
    (10, "十级", "在学科或行业领域具有开创性贡献，能引领知识与技术的发展（博士、领军人才）。"),
]


def load(apps, schema_editor):
    OutcomeType = apps.get_model("catalog", "OutcomeType")
    FrameworkLevel = apps.get_model("catalog", "FrameworkLevel")
    for order, (code, name) in enumerate(OUTCOME_TYPES, start=1):
        OutcomeType.objects.update_or_create(code=code, defaults={"name": name, "sort_order": order})
    for number, name, descriptor in LEVELS:
        FrameworkLevel.objects.update_or_create(number=number, defaults={"name": name, "descriptor": descriptor})


def unload(apps, schema_editor):
    apps.get_model("catalog", "OutcomeType").objects.filter(code__in=[code for code, _ in OUTCOME_TYPES]).delete()
    apps.get_model("catalog", "FrameworkLevel").objects.filter(number__in=[n for n, _, _ in LEVELS]).delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
