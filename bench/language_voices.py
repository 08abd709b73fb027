"""Test speakers in Spanish, Italian, Portuguese and French (and English), made from espeak-ng.

Like ``reference_voices.py`` for English: each speaker is an espeak-ng voice variant of the language
under a sox transform (pitch, formants via speed/pitch pairs, tempo), so the speakers differ from each
other and from any base voice. Each gives a ~30 s reference (text known), a different held-out clip
of the same speaker for similarity, and the engine is asked to say ``TEST_TEXTS`` (unseen in both).

Needs the Debian packages ``espeak-ng sox``. Texts are original (no licensing questions).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from bench.reference_voices import (
    HELD_OUT_TEXT,
    REFERENCE_TEXT,
    WER_TEXTS,
    ReferenceVoice,
    VoiceRecipe,
    make_clip,
)


@dataclass(frozen=True)
class LanguageTexts:
    reference: str
    held_out: str
    tests: tuple[str, ...]


TEXTS: dict[str, LanguageTexts] = {
    "en": LanguageTexts(REFERENCE_TEXT, HELD_OUT_TEXT, WER_TEXTS[:2]),
    "es": LanguageTexts(
        "Cada mañana el viejo transbordador sale del puerto poco antes de las siete. "
        "El capitán mira el cielo, cuenta a los pasajeros y toca una pequeña campana de bronce. "
        "Casi todos van al trabajo, pero algunos llevan cañas de pescar o cestas de fruta. "
        "Cuando el viento está tranquilo, el viaje dura unos veinte minutos. "
        "En los días de tormenta puede durar una hora, y a los niños les encanta cada ola. "
        "Al otro lado, una panadería abre sus puertas cuando llega el barco.",
        "Por favor, recuerda regar las plantas del balcón mientras estamos fuera. "
        "La planta verde y alta necesita una taza de agua cada dos días. "
        "Si llega el correo, déjalo en la mesa de la cocina.",
        (
            "Nuestra biblioteca cerrará temprano el viernes porque están reparando la calefacción. "
            "Los libros que vencen esta semana se pueden devolver el lunes sin multa.",
            "Mi abuela cultivaba tomates, judías y patatas en un jardín detrás de su casa. "
            "Cada verano regalaba cestas de verduras a los vecinos.",
        ),
    ),
    "it": LanguageTexts(
        "Ogni mattina il vecchio traghetto lascia il porto poco prima delle sette. "
        "Il capitano guarda il cielo, conta i passeggeri e suona una piccola campana di ottone. "
        "Quasi tutti vanno al lavoro, ma alcuni portano canne da pesca o cesti di frutta. "
        "Quando il vento è calmo, la traversata dura circa venti minuti. "
        "Nei giorni di tempesta può durare un'ora, e i bambini adorano ogni onda. "
        "Dall'altra parte, un forno apre le porte quando arriva la barca.",
        "Per favore, ricordati di innaffiare le piante sul balcone mentre siamo via. "
        "La pianta verde e alta ha bisogno di una tazza d'acqua ogni due giorni. "
        "Se arriva la posta, lasciala sul tavolo della cucina.",
        (
            "La nostra biblioteca chiuderà presto venerdì perché stanno riparando il riscaldamento. "
            "I libri in scadenza questa settimana si possono restituire lunedì senza multa.",
            "Mia nonna coltivava pomodori, fagioli e patate in un giardino dietro la sua casa. "
            "Ogni estate regalava cesti di verdure ai vicini.",
        ),
    ),
    "pt": LanguageTexts(
        "Toda manhã a velha balsa sai do porto pouco antes das sete. "
        "O capitão olha o céu, conta os passageiros e toca um pequeno sino de bronze. "
        "Quase todos vão para o trabalho, mas alguns levam varas de pesca ou cestas de frutas. "
        "Quando o vento está calmo, a travessia leva uns vinte minutos. "
        "Nos dias de tempestade pode levar uma hora, e as crianças adoram cada onda. "
        "Do outro lado, uma padaria abre as portas quando o barco chega.",
        "Por favor, lembre de regar as plantas da varanda enquanto estamos fora. "
        "A planta verde e alta precisa de um copo de água a cada dois dias. "
        "Se o correio chegar, deixe na mesa da cozinha.",
        (
            "Nossa biblioteca vai fechar mais cedo na sexta porque o aquecimento está sendo consertado. "
            "Os livros que vencem esta semana podem ser devolvidos na segunda sem multa.",
            "Minha avó plantava tomates, feijões e batatas num jardim atrás da casa dela. "
            "Todo verão ela dava cestas de legumes aos vizinhos.",
        ),
    ),
    "fr": LanguageTexts(
        "Chaque matin, le vieux bac quitte le port un peu avant sept heures. "
        "Le capitaine regarde le ciel, compte les passagers et sonne une petite cloche en cuivre. "
        "La plupart vont au travail, mais certains portent des cannes à pêche ou des paniers de fruits. "
        "Quand le vent est calme, la traversée dure environ vingt minutes. "
        "Les jours de tempête, elle peut durer une heure, et les enfants adorent chaque vague. "
        "De l'autre côté, une boulangerie ouvre ses portes quand le bateau arrive.",
        "S'il te plaît, pense à arroser les plantes du balcon pendant notre absence. "
        "La grande plante verte a besoin d'une tasse d'eau tous les deux jours. "
        "Si le courrier arrive, laisse-le sur la table de la cuisine.",
        (
            "Notre bibliothèque fermera tôt vendredi parce que le chauffage est en réparation. "
            "Les livres à rendre cette semaine peuvent être rapportés lundi sans amende.",
            "Ma grand-mère cultivait des tomates, des haricots et des pommes de terre derrière sa maison. "
            "Chaque été, elle donnait des paniers de légumes aux voisins.",
        ),
    ),
}

# espeak-ng voice per language, then four speakers from it: variants (+m3, +f3 ...) are espeak's own
# timbres; sox pitch moves pitch and formants together, as in reference_voices.py's slt-low.
_ESPEAK = {"en": "en-us", "es": "es", "it": "it", "pt": "pt-br", "fr": "fr-fr"}
_SPEAKERS = (
    ("m3", "+m3", ()),
    ("f3", "+f3", ()),
    ("m1-low", "+m1", ("pitch", "-300")),
    ("f4-high", "+f4", ("pitch", "200")),
)


def language_voices(language: str, count: int = len(_SPEAKERS)) -> list[ReferenceVoice]:
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        raise RuntimeError(f"missing tools {missing}: apt-get install espeak-ng sox")
    texts = TEXTS[language]
    voices = []
    for name, variant, effects in _SPEAKERS[:count]:
        recipe = VoiceRecipe(
            f"{language}-{name}",
            f"espeak-ng {_ESPEAK[language]}{variant} {' '.join(effects)}".strip(),
            f"espeak:{_ESPEAK[language]}{variant}",
            effects,
        )
        voices.append(
            ReferenceVoice(
                name=recipe.name,
                description=recipe.description,
                reference=make_clip(recipe, texts.reference),
                held_out=make_clip(recipe, texts.held_out),
            )
        )
    return voices
