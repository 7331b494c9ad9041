"""Outcome instruments as data: item wording, answer options, ranges, recall period, licence.

Only instruments that are free to reproduce are shipped with their wording
(shared/clinical-reference.md §10.1):

- PHQ-9 and GAD-7: Pfizer offers them without copyright restriction or charge (2010).
  Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues,
  with an educational grant from Pfizer Inc. No permission required to reproduce,
  translate, display or distribute.
- PCL-5: produced by the US Department of Veterans Affairs National Center for PTSD;
  public domain (Weathers et al. 2013; Blevins et al. 2015).
- Pain NRS: a generic 0-10 numeric rating scale (IMMPACT, Dworkin 2005/2008); the wording
  below is the clinic's own, not taken from a licensed questionnaire.

Licensed or restricted instruments (ISI, PSQI, MADRS, QIDS-SR16, C-SSRS) are deliberately
**not** included here; a clinic that holds a licence adds them itself.

Scoring lives in `scoring.py`; this module is plain data. No Django import.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

_FREQUENCY_OPTIONS: Final = (
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
)

_PCL5_OPTIONS: Final = (
    (0, "Not at all"),
    (1, "A little bit"),
    (2, "Moderately"),
    (3, "Quite a bit"),
    (4, "Extremely"),
)


@dataclass(frozen=True)
class Instrument:
    """One self-report instrument.

    `items` holds the item wording in order (item 1 first); `options` the answer choices as
    (value, label) pairs, shared by every item. `clusters` names item ranges (1-based,
    inclusive) where the instrument defines symptom clusters (PCL-5 only).
    """

    code: str
    name: str
    item_count: int
    item_min: int
    item_max: int
    recall_period: str
    instructions: str
    items: tuple[str, ...]
    options: tuple[tuple[int, str], ...]
    licence: str
    source: str
    clusters: tuple[tuple[str, int, int], ...] = ()
    supplementary_item: str | None = None
    supplementary_options: tuple[str, ...] = ()

    @property
    def total_min(self) -> int:
        return self.item_count * self.item_min

    @property
    def total_max(self) -> int:
        return self.item_count * self.item_max


PHQ9: Final = Instrument(
    code="phq9",
    name="Patient Health Questionnaire-9 (PHQ-9)",
    item_count=9,
    item_min=0,
    item_max=3,
    recall_period="last 2 weeks",
    instructions="Over the last 2 weeks, how often have you been bothered by any of the following problems?",
    items=(
        "Little interest or pleasure in doing things",
        "Feeling down, depressed, or hopeless",
        "Trouble falling or staying asleep, or sleeping too much",
        "Feeling tired or having little energy",
        "Poor appetite or overeating",
        "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so "
        "fidgety or restless that you have been moving around a lot more than usual",
        "Thoughts that you would be better off dead or of hurting yourself in some way",
    ),
    options=_FREQUENCY_OPTIONS,
    licence="Free: Pfizer offers the PHQ without copyright restriction or charge (2010). No permission "
    "required to reproduce, translate, display or distribute.",
    source="Kroenke K, Spitzer RL, Williams JB. J Gen Intern Med 2001;16:606-613 (clinical-reference §10.1)",
    supplementary_item="If you checked off any problems, how difficult have these problems made it for you to "
    "do your work, take care of things at home, or get along with other people?",
    supplementary_options=("Not difficult at all", "Somewhat difficult", "Very difficult", "Extremely difficult"),
)

GAD7: Final = Instrument(
    code="gad7",
    name="Generalized Anxiety Disorder-7 (GAD-7)",
    item_count=7,
    item_min=0,
    item_max=3,
    recall_period="last 2 weeks",
    instructions="Over the last 2 weeks, how often have you been bothered by the following problems?",
    items=(
        "Feeling nervous, anxious, or on edge",
        "Not being able to stop or control worrying",
        "Worrying too much about different things",
        "Trouble relaxing",
        "Being so restless that it is hard to sit still",
        "Becoming easily annoyed or irritable",
        "Feeling afraid, as if something awful might happen",
    ),
    options=_FREQUENCY_OPTIONS,
    licence="Free: Pfizer offers the GAD-7 without copyright restriction or charge (2010). No permission "
    "required to reproduce, translate, display or distribute.",
    source="Spitzer RL, Kroenke K, Williams JB, Löwe B. Arch Intern Med 2006;166:1092-1097 (clinical-reference §10.1)",
    supplementary_item="If you checked off any problems, how difficult have these problems made it for you to "
    "do your work, take care of things at home, or get along with other people?",
    supplementary_options=("Not difficult at all", "Somewhat difficult", "Very difficult", "Extremely difficult"),
)

PCL5: Final = Instrument(
    code="pcl5",
    name="PTSD Checklist for DSM-5 (PCL-5)",
    item_count=20,
    item_min=0,
    item_max=4,
    recall_period="past month",
    instructions="Below is a list of problems that people sometimes have in response to a very stressful "
    "experience. Please read each problem carefully and then choose one of the answers to indicate how much "
    "you have been bothered by that problem in the past month. In the past month, how much were you "
    "bothered by:",
    items=(
        "Repeated, disturbing, and unwanted memories of the stressful experience?",
        "Repeated, disturbing dreams of the stressful experience?",
        "Suddenly feeling or acting as if the stressful experience were actually happening again (as if you "
        "were actually back there reliving it)?",
        "Feeling very upset when something reminded you of the stressful experience?",
        "Having strong physical reactions when something reminded you of the stressful experience (for "
        "example, heart pounding, trouble breathing, sweating)?",
        "Avoiding memories, thoughts, or feelings related to the stressful experience?",
        "Avoiding external reminders of the stressful experience (for example, people, places, conversations, "
        "activities, objects, or situations)?",
        "Trouble remembering important parts of the stressful experience?",
        "Having strong negative beliefs about yourself, other people, or the world (for example, having "
        "thoughts such as: I am bad, there is something seriously wrong with me, no one can be trusted, the "
        "world is completely dangerous)?",
        "Blaming yourself or someone else for the stressful experience or what happened after it?",
        "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
        "Loss of interest in activities that you used to enjoy?",
        "Feeling distant or cut off from other people?",
        "Trouble experiencing positive feelings (for example, being unable to feel happiness or have loving "
        "feelings for people close to you)?",
        "Irritable behavior, angry outbursts, or acting aggressively?",
        "Taking too many risks or doing things that could cause you harm?",
        'Being "superalert" or watchful or on guard?',
        "Feeling jumpy or easily startled?",
        "Having difficulty concentrating?",
        "Trouble falling or staying asleep?",
    ),
    options=_PCL5_OPTIONS,
    licence="Public domain: US Department of Veterans Affairs, National Center for PTSD.",
    source="Weathers FW et al. 2013, PCL-5 (www.ptsd.va.gov); Blevins CA et al. J Trauma Stress 2015;28:489-498 "
    "(clinical-reference §10.1)",
    # DSM-5 symptom clusters (clinical-reference §10.1): item ranges, 1-based inclusive.
    clusters=(("B", 1, 5), ("C", 6, 7), ("D", 8, 14), ("E", 15, 20)),
)

PAIN_NRS: Final = Instrument(
    code="pain_nrs",
    name="Pain intensity, 0\u201310 numeric rating scale (NRS)",
    item_count=1,
    item_min=0,
    item_max=10,
    recall_period="past 24 hours (average pain)",
    instructions="On a scale from 0 to 10, where 0 means no pain and 10 means pain as bad as you can imagine,",
    items=("How would you rate your pain on average over the past 24 hours?",),
    options=tuple((n, "No pain" if n == 0 else "Pain as bad as you can imagine" if n == 10 else str(n))
                  for n in range(11)),
    licence="Free: generic numeric rating scale; wording is the clinic's own.",
    source="Farrar JT et al. Pain 2001;94:149-158; Dworkin RH et al. (IMMPACT) J Pain 2008;9:105-121 "
    "(clinical-reference §10.1)",
)

INSTRUMENTS: Final = MappingProxyType({i.code: i for i in (PHQ9, GAD7, PCL5, PAIN_NRS)})
"""Instrument code → `Instrument`. Codes: "phq9", "gad7", "pcl5", "pain_nrs"."""

PHQ9_ITEM9_INDEX: Final = 8
"""0-based index of PHQ-9 item 9 (thoughts of death or self-harm), read on its own (§10.2, §11)."""
