"""How like its samples a cloned voice sounds: the similarity score a user sees on a voice or preview.

The score is measured on fixed sentences (~15 s of speech in English) that the engine renders
reproducibly (``SynthesisOptions.extra["seed"]``), not on the preview clip: the preview is one short
sentence rendered with the engine's random sampling, and re-cloning the same samples scored 0.68 to
0.81 on it. The sentences' speech (pauses removed, like the samples') gives one d-vector, compared
by cosine with the mean of the samples' d-vectors and mapped to 0..1 by
``audio.embedding.similarity_score``. Measured spreads and the cost: docs/engines.md, "The similarity
score".
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .base import Artifacts, Engine, SynthesisOptions

SEED = 0
# Ordinary sentences with a mix of sounds, ~15 s in all; one voice is always measured on the same ones.
SIMILARITY_TEXT = {
    "en": (
        "Hello! This is a preview of my cloned voice. "
        "The morning train was late again, so we walked along the river and watched the boats. "
        "Please bring a warm coat, a map of the city and something to read on the long journey home."
    ),
    "de": (
        "Hallo! Das ist eine Vorschau meiner geklonten Stimme. "
        "Der Zug am Morgen war wieder zu spät, also gingen wir am Fluss entlang. "
        "Bitte bring einen warmen Mantel und etwas zu lesen für die lange Heimfahrt mit."
    ),
    "fr": (
        "Bonjour ! Voici un aperçu de ma voix clonée. "
        "Le train du matin était encore en retard, alors nous avons marché le long de la rivière. "
        "Apporte un manteau chaud et quelque chose à lire pour le long voyage du retour."
    ),
    "es": (
        "¡Hola! Esta es una vista previa de mi voz clonada. "
        "El tren de la mañana volvió a llegar tarde, así que caminamos junto al río. "
        "Trae un abrigo caliente y algo para leer en el largo viaje de vuelta a casa."
    ),
    "it": (
        "Ciao! Questa è un'anteprima della mia voce clonata. "
        "Il treno del mattino era di nuovo in ritardo, così abbiamo camminato lungo il fiume. "
        "Porta un cappotto caldo e qualcosa da leggere per il lungo viaggio di ritorno."
    ),
    "pt": (
        "Olá! Esta é uma prévia da minha voz clonada. "
        "O trem da manhã atrasou de novo, então caminhamos ao longo do rio. "
        "Traga um casaco quente e algo para ler na longa viagem de volta para casa."
    ),
}


def voice_similarity(
    engine: Engine, artifacts: Artifacts, sample_embeddings: list[np.ndarray], options: SynthesisOptions
) -> float:
    """The voice's 0..1 similarity to its samples (the same artifacts always give the same score).

    ``options`` are the voice's own (language, stability); the sentences are rendered with them and a
    fixed seed. ``sample_embeddings`` are the samples' d-vectors (``audio.embedding.speaker_embedding``).
    """
    from audio.codec import resample
    from audio.embedding import MODEL_RATE, cosine, similarity_score, speaker_embedding
    from audio.speech_activity import keep_speech, speech_segments

    text = SIMILARITY_TEXT.get(options.language, SIMILARITY_TEXT["en"])
    reproducible = dataclasses.replace(options, extra={**options.extra, "seed": SEED})
    spoken = engine.synthesize(artifacts, text, reproducible)
    audio = resample(spoken.samples, spoken.sample_rate, MODEL_RATE)
    speech = keep_speech(audio, MODEL_RATE, speech_segments(audio, MODEL_RATE))
    if speech.size == 0:  # nothing the VAD calls speech: measure what there is rather than fail the clone
        speech = audio
    reference = np.mean(sample_embeddings, axis=0)
    reference /= np.linalg.norm(reference) or 1.0
    return round(similarity_score(cosine(speaker_embedding(speech, MODEL_RATE), reference)), 3)
