from __future__ import annotations

from django import forms


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        required=False,
        label="Key name",
        help_text="Where it is used, e.g. “laptop” or “CI”. Left empty, the key is numbered: “Key 1”.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "e.g. render server"}),
    )
