"""What the patient reads on a questionnaire, in their language: name, recall period,
instructions, item wording and answer labels.

English comes from `protocol/instruments.py` (the scored definition). Spanish is kept here, item
for item in the same order, with answer labels for the same values, so scoring never changes
with the language. Stored answers are numbers; the PHQ-9/GAD-7 "how difficult" answer is stored
as its English option (the value) whatever language the patient read.

Sources of the Spanish wording (shared/clinical-reference.md §10.1 for the instruments):
- PHQ-9 and GAD-7: the official Spanish for the USA versions (Pfizer, via phqscreeners.com;
  free to reproduce, translate, display and distribute, no permission required). Transcribed
  item by item; "(a)" endings kept as in the official forms. Compare once with the current PDFs
  at phqscreeners.com before clinical use (several unofficial Spanish versions circulate).
- PCL-5: our careful rendering that follows the Spanish PCL-5 distributed by the US Department
  of Veterans Affairs National Center for PTSD (public domain, www.ptsd.va.gov). Before
  clinical use, compare each item with the current National Center for PTSD Spanish form.
- Pain 0-10 rating: the clinic's own wording, translated by us.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from django.utils.translation import gettext_lazy as _

from ketaclinic.protocol.instruments import INSTRUMENTS


@dataclass(frozen=True)
class Wording:
    """One instrument as the patient reads it. `options` are (value, label) as in `Instrument`;
    `supplementary_options` are (stored English value, label)."""

    name: str
    recall_period: str
    instructions: str
    items: tuple[str, ...]
    options: tuple[tuple[int, str], ...]
    supplementary_item: str | None = None
    supplementary_options: tuple[tuple[str, str], ...] = ()


_ES_FREQUENCY: Final = ((0, "Ningún día"), (1, "Varios días"), (2, "Más de la mitad de los días"),
                        (3, "Casi todos los días"))
_ES_DIFFICULTY_ITEM: Final = ("Si marcó cualquiera de los problemas, ¿qué tanta dificultad le han dado estos "
                              "problemas para hacer su trabajo, encargarse de las tareas del hogar, o llevarse bien "
                              "con otras personas?")
_ES_DIFFICULTY: Final = ("No ha sido difícil", "Un poco difícil", "Muy difícil", "Extremadamente difícil")
_ES_TWO_WEEKS: Final = ("Durante las últimas 2 semanas, ¿qué tan seguido ha tenido molestias debido a los "
                        "siguientes problemas?")

SPANISH: Final = MappingProxyType({
    "phq9": Wording(
        name="Cuestionario sobre la salud del paciente-9 (PHQ-9)",
        recall_period="las últimas 2 semanas",
        instructions=_ES_TWO_WEEKS,
        items=(
            "Poco interés o placer en hacer cosas",
            "Se ha sentido decaído(a), deprimido(a) o sin esperanzas",
            "Ha tenido dificultad para quedarse o permanecer dormido(a), o ha dormido demasiado",
            "Se ha sentido cansado(a) o con poca energía",
            "Sin apetito o ha comido en exceso",
            "Se ha sentido mal con usted mismo(a) — o que es un fracaso o que ha quedado mal con usted mismo(a) "
            "o con su familia",
            "Ha tenido dificultad para concentrarse en ciertas actividades, tales como leer el periódico o ver "
            "la televisión",
            "¿Se ha movido o hablado tan lento que otras personas podrían haberlo notado? O lo contrario — muy "
            "inquieto(a) o agitado(a) que ha estado moviéndose mucho más de lo normal",
            "Pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera",
        ),
        options=_ES_FREQUENCY,
        supplementary_item=_ES_DIFFICULTY_ITEM,
        supplementary_options=tuple(zip(INSTRUMENTS["phq9"].supplementary_options, _ES_DIFFICULTY, strict=True)),
    ),
    "gad7": Wording(
        name="Escala del trastorno de ansiedad generalizada-7 (GAD-7)",
        recall_period="las últimas 2 semanas",
        instructions=_ES_TWO_WEEKS,
        items=(
            "Sentirse nervioso(a), ansioso(a) o con los nervios de punta",
            "No poder dejar de preocuparse o no poder controlar la preocupación",
            "Preocuparse demasiado por diferentes cosas",
            "Dificultad para relajarse",
            "Estar tan inquieto(a) que es difícil permanecer sentado(a) tranquilamente",
            "Molestarse o ponerse irritable fácilmente",
            "Sentir miedo como si algo terrible pudiera pasar",
        ),
        options=_ES_FREQUENCY,
        supplementary_item=_ES_DIFFICULTY_ITEM,
        supplementary_options=tuple(zip(INSTRUMENTS["gad7"].supplementary_options, _ES_DIFFICULTY, strict=True)),
    ),
    "pcl5": Wording(
        name="Lista de verificación del TEPT para el DSM-5 (PCL-5)",
        recall_period="el último mes",
        instructions="A continuación hay una lista de problemas que las personas a veces tienen como respuesta a "
        "una experiencia muy estresante. Por favor, lea cada problema con cuidado y luego elija una de las "
        "respuestas para indicar cuánto le ha molestado ese problema en el último mes. En el último mes, "
        "¿cuánto le ha molestado:",
        items=(
            "¿Tener recuerdos repetidos, perturbadores y no deseados de la experiencia estresante?",
            "¿Tener sueños repetidos y perturbadores sobre la experiencia estresante?",
            "¿Sentir o actuar de repente como si la experiencia estresante estuviera ocurriendo de nuevo (como si "
            "realmente estuviera allí reviviéndola)?",
            "¿Sentirse muy alterado(a) cuando algo le recordó la experiencia estresante?",
            "¿Tener reacciones físicas fuertes cuando algo le recordó la experiencia estresante (por ejemplo, el "
            "corazón latiendo con fuerza, dificultad para respirar, sudor)?",
            "¿Evitar recuerdos, pensamientos o sentimientos relacionados con la experiencia estresante?",
            "¿Evitar cosas externas que le recuerdan la experiencia estresante (por ejemplo, personas, lugares, "
            "conversaciones, actividades, objetos o situaciones)?",
            "¿Tener dificultad para recordar partes importantes de la experiencia estresante?",
            "¿Tener creencias negativas fuertes sobre usted mismo(a), otras personas o el mundo (por ejemplo, "
            "pensamientos como: soy malo(a), hay algo muy mal en mí, no se puede confiar en nadie, el mundo es "
            "completamente peligroso)?",
            "¿Culparse a usted mismo(a) o a otra persona por la experiencia estresante o por lo que pasó después?",
            "¿Tener sentimientos negativos fuertes como miedo, horror, enojo, culpa o vergüenza?",
            "¿Perder el interés en actividades que antes disfrutaba?",
            "¿Sentirse distante o apartado(a) de otras personas?",
            "¿Tener dificultad para sentir emociones positivas (por ejemplo, no poder sentir felicidad o tener "
            "sentimientos de cariño hacia las personas cercanas a usted)?",
            "¿Comportarse de forma irritable, tener arranques de enojo o actuar de forma agresiva?",
            "¿Correr demasiados riesgos o hacer cosas que podrían causarle daño?",
            "¿Estar «superalerta», vigilante o en guardia?",
            "¿Sentirse nervioso(a) o asustarse fácilmente?",
            "¿Tener dificultad para concentrarse?",
            "¿Tener dificultad para quedarse dormido(a) o permanecer dormido(a)?",
        ),
        options=((0, "Nada"), (1, "Un poco"), (2, "Moderadamente"), (3, "Bastante"), (4, "Extremadamente")),
    ),
    "pain_nrs": Wording(
        name="Intensidad del dolor, escala numérica de 0 a 10",
        recall_period="las últimas 24 horas (su dolor promedio)",
        instructions="En una escala de 0 a 10, donde 0 significa sin dolor y 10 significa el peor dolor que se "
        "pueda imaginar,",
        items=("¿cómo calificaría su dolor en promedio durante las últimas 24 horas?",),
        options=tuple((n, "Sin dolor" if n == 0 else "El peor dolor que se pueda imaginar" if n == 10 else str(n))
                      for n in range(11)),
    ),
})
"""Instrument code → Spanish wording (same codes as `INSTRUMENTS`)."""

def wording(code: str, language: str) -> Wording:
    """The instrument as the patient reads it in `language` ("es" → Spanish, anything else → English)."""
    if language == "es" and code in SPANISH:
        return SPANISH[code]
    inst = INSTRUMENTS[code]
    return Wording(name=inst.name, recall_period=inst.recall_period, instructions=inst.instructions,
                   items=inst.items, options=inst.options, supplementary_item=inst.supplementary_item,
                   supplementary_options=tuple((o, o) for o in inst.supplementary_options))


SEVERITY_WORDS: Final = MappingProxyType({
    "none_minimal": _("none or minimal"), "minimal": _("minimal"), "mild": _("mild"), "moderate": _("moderate"),
    "moderately_severe": _("moderately severe"), "severe": _("severe"),
})
"""Severity band code (protocol.scoring) → the words a patient reads after their score."""


def severity_words(code: str) -> str:
    """'moderate' / 'moderada' for a band code; '' for none (custom questions, PCL-5)."""
    return str(SEVERITY_WORDS.get(code, ""))
