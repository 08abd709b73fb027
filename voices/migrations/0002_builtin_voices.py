from django.db import migrations

BUILT_IN = [
    {
        "id": "voice_builtin_joe",
        "name": "Joe (studio base voice)",
        "description": "The offline engine's base voice (Piper en_US joe medium), unconverted. "
        "Every cloned voice on the offline engine starts from it.",
        "language": "en",
        "languages": ["en"],
        "dialects": ["en-US"],
        "gender": "male",
        "engine": "offline",
    },
]


def add_builtin_voices(apps, schema_editor):
    Voice = apps.get_model("voices", "Voice")
    for fields in BUILT_IN:
        Voice.objects.update_or_create(
            id=fields["id"],
            defaults={
                **fields,
                "owner": None,
                "type": "built-in",
                "visibility": "PUBLIC",
                "status": "AVAILABLE",
                "verification": "verified",
                "moderation": "approved",
                "license": "commercial",
            },
        )


def remove_builtin_voices(apps, schema_editor):
    apps.get_model("voices", "Voice").objects.filter(id__in=[v["id"] for v in BUILT_IN]).delete()


class Migration(migrations.Migration):
    dependencies = [("voices", "0001_initial")]
    operations = [migrations.RunPython(add_builtin_voices, remove_builtin_voices)]
