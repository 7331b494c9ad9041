# ruff: noqa: E501  (the form is prose: one paragraph or list item per line)
"""Our plain-language consent form for IV ketamine, in English and Spanish.

Written by us for a 6th-8th grade reading level: short sentences, everyday words. Facts follow
shared/clinical-reference.md: off-label use (§1), expected after-effects and when to call (§9),
monitoring (§8), no driving until the next day after sleep (§5.2), Schedule III (§12),
988 (§11). A clinic's medical director can change it; each change is a new version.

Format: "## " starts a heading, "- " starts a list item, a blank line ends a paragraph.
"""

from __future__ import annotations

TITLE_EN = "Consent for IV ketamine treatment"

BODY_EN = """\
## What this treatment is
Ketamine is a medicine. Doctors have used it for many years to put people to sleep for surgery. In this clinic we give a much smaller dose slowly through a vein (IV). We use it to treat depression and some other conditions, like some kinds of long-lasting pain. Your provider will tell you why it is being offered to you.

## This is an "off-label" use
The U.S. Food and Drug Administration (FDA) approved ketamine for anesthesia (sleep for surgery). The FDA has not approved IV ketamine for depression or pain. Using a medicine for a reason the FDA has not approved is called "off-label" use. It is legal, and doctors do it when research suggests a medicine can help.

Studies show that IV ketamine helps many people whose depression did not get better with other treatments. It does not help everyone. We cannot promise that it will help you.

## What will happen at each visit
- A nurse puts a small, soft tube (an IV) in a vein in your arm.
- The medicine drips in slowly, most often over about 40 minutes.
- A nurse stays with you the whole time. We check your blood pressure, heart rate, breathing and oxygen level often, and we ask how you feel.
- We can slow down or stop the medicine at any time if you need it.
- After the infusion you rest with us until you are steady and clear-headed.
- Then an adult you trust must take you home. You cannot leave alone.

## What you may feel
These effects are common. Most go away within an hour or two after the infusion ends:
- Feeling floaty, dreamy, or far away from your body or the room around you
- Things looking, sounding or feeling different than usual
- Feeling sleepy, dizzy or unsteady
- Upset stomach or throwing up
- Headache or blurry vision
- Higher blood pressure and a faster heartbeat for a short time
- Feeling emotional

## Less common risks
- Blood pressure high enough that we need to treat it
- Feeling very scared or confused during the infusion
- Slow breathing (rare at the doses we use)
- Bladder problems: pain when you pee, needing to pee often, or blood in your pee. This is seen mostly with frequent heavy use, but tell us right away if it happens.
- Ketamine can be misused. Using it outside of medical care can lead to dependence.
- We do not fully know the effects of many treatments over a long time.
- Ketamine may harm an unborn baby. Tell us if you are pregnant or could become pregnant.
- Your mood may get worse for a while. In rare cases, thoughts of suicide can get stronger. Tell us right away.

## Other choices
You do not have to have this treatment. Other choices include antidepressant medicines, talk therapy, esketamine nasal spray (Spravato, which the FDA approved for hard-to-treat depression), TMS (magnetic stimulation of the brain), ECT (electroconvulsive therapy), or no new treatment. Ask your provider about the good points and the risks of each choice.

## Keeping you safe
- Follow the eating and drinking times we give you before each visit.
- Tell us about every medicine, vitamin, supplement, alcohol and drug you use. Some of them change how ketamine works.
- Do not drink alcohol or use recreational drugs before or after your infusion, for the times we give you.
- We will ask you questions about your mood and how you feel before and after treatment.

## No driving until the next day
Ketamine slows your reactions, even when you feel fine. Do not drive, ride a bike, use machines or tools that could hurt you, or make big decisions until the next day, after a full night of sleep.

## Ketamine is a controlled medicine
Ketamine is a controlled substance (Schedule III) under federal law. We keep careful records of every dose. You receive ketamine only here in the clinic. We never give you any to take home.

## Your rights
- You can ask questions at any time.
- You can stop treatment at any time, for any reason, even in the middle of an infusion. Just tell the nurse.
- You can take back (withdraw) this consent at any time by telling the clinic.
- Stopping will not change how we treat you.

## When to get help
Call the clinic if something does not feel right after an infusion, for example throwing up that does not stop, changes in how things look or sound that are still there the next morning, pain when you pee, or a mood that is getting worse. For an emergency, call 911. If you have thoughts of hurting yourself, call or text 988 (Suicide & Crisis Lifeline) at any time, day or night.

## Your agreement
By signing, you say that:
- You read this form, or someone read it to you.
- You had the chance to ask questions, and your questions were answered.
- You agree to IV ketamine treatment at this clinic.
"""

TITLE_ES = "Consentimiento para el tratamiento con ketamina intravenosa"

BODY_ES = """\
## Qué es este tratamiento
La ketamina es un medicamento. Los médicos la usan desde hace muchos años para dormir a las personas durante una cirugía. En esta clínica damos una dosis mucho más pequeña, despacio, por la vena (intravenosa o IV). La usamos para tratar la depresión y otras condiciones, como algunos tipos de dolor que duran mucho tiempo. Su proveedor le dirá por qué se la ofrece a usted.

## Este es un uso "fuera de indicación"
La Administración de Alimentos y Medicamentos de EE. UU. (FDA) aprobó la ketamina para la anestesia (dormir para una cirugía). La FDA no ha aprobado la ketamina IV para la depresión ni para el dolor. Cuando se usa un medicamento por una razón que la FDA no ha aprobado, se llama uso "fuera de indicación". Es legal, y los médicos lo hacen cuando los estudios muestran que un medicamento puede ayudar.

Los estudios muestran que la ketamina IV ayuda a muchas personas cuya depresión no mejoró con otros tratamientos. No ayuda a todos. No podemos prometer que le va a ayudar a usted.

## Qué pasará en cada visita
- Una enfermera le pone un tubo pequeño y suave (una vía IV) en una vena del brazo.
- El medicamento entra despacio, casi siempre en unos 40 minutos.
- Una enfermera se queda con usted todo el tiempo. Revisamos a menudo su presión arterial, su ritmo cardíaco, su respiración y su nivel de oxígeno, y le preguntamos cómo se siente.
- Podemos bajar o parar el medicamento en cualquier momento si usted lo necesita.
- Después de la infusión, usted descansa con nosotros hasta que esté estable y con la mente clara.
- Luego, un adulto de confianza debe llevarle a casa. No puede irse solo.

## Lo que puede sentir
Estos efectos son comunes. La mayoría se van en una o dos horas después de terminar la infusión:
- Sentirse flotando, como en un sueño, o lejos de su cuerpo o del cuarto
- Ver, oír o sentir las cosas diferentes de lo normal
- Tener sueño, mareo o poca estabilidad
- Malestar de estómago o vómitos
- Dolor de cabeza o vista borrosa
- Presión arterial más alta y latidos más rápidos por un rato
- Sentirse sensible o con muchas emociones

## Riesgos menos comunes
- Presión arterial tan alta que necesitamos tratarla
- Sentir mucho miedo o confusión durante la infusión
- Respiración lenta (poco común con las dosis que usamos)
- Problemas de la vejiga: dolor al orinar, ganas de orinar muy seguido o sangre en la orina. Se ve sobre todo con el uso frecuente y en grandes cantidades, pero díganos enseguida si le pasa.
- La ketamina se puede usar mal. Usarla fuera del cuidado médico puede causar dependencia.
- No sabemos del todo los efectos de muchos tratamientos durante mucho tiempo.
- La ketamina puede dañar a un bebé antes de nacer. Díganos si está embarazada o si podría quedar embarazada.
- Su ánimo puede empeorar por un tiempo. En casos raros, los pensamientos de suicidio pueden ser más fuertes. Díganos enseguida.

## Otras opciones
Usted no tiene que recibir este tratamiento. Otras opciones son: medicamentos antidepresivos, terapia hablada, el aerosol nasal de esketamina (Spravato, que la FDA aprobó para la depresión difícil de tratar), EMT (estimulación magnética del cerebro), TEC (terapia electroconvulsiva), o no empezar un tratamiento nuevo. Pregunte a su proveedor por lo bueno y los riesgos de cada opción.

## Para cuidar su seguridad
- Siga las horas de comer y beber que le damos antes de cada visita.
- Díganos todos los medicamentos, vitaminas, suplementos, alcohol y drogas que usa. Algunos cambian cómo funciona la ketamina.
- No tome alcohol ni use drogas recreativas antes ni después de la infusión, durante el tiempo que le indicamos.
- Le haremos preguntas sobre su ánimo y cómo se siente antes y después del tratamiento.

## No maneje hasta el día siguiente
La ketamina hace más lentas sus reacciones, aunque usted se sienta bien. No maneje, no ande en bicicleta, no use máquinas ni herramientas que puedan lastimarle, y no tome decisiones importantes hasta el día siguiente, después de dormir toda la noche.

## La ketamina es un medicamento controlado
La ketamina es una sustancia controlada (Lista III) según la ley federal. Llevamos un registro cuidadoso de cada dosis. Usted recibe ketamina solo aquí en la clínica. Nunca le damos ketamina para llevar a casa.

## Sus derechos
- Puede hacer preguntas en cualquier momento.
- Puede parar el tratamiento en cualquier momento, por cualquier razón, incluso en medio de una infusión. Solo dígaselo a la enfermera.
- Puede retirar este consentimiento en cualquier momento avisando a la clínica.
- Parar no cambiará la forma en que le tratamos.

## Cuándo pedir ayuda
Llame a la clínica si algo no se siente bien después de una infusión, por ejemplo vómitos que no paran, cambios en cómo ve u oye las cosas que siguen a la mañana siguiente, dolor al orinar, o un ánimo que empeora. En una emergencia, llame al 911. Si tiene pensamientos de hacerse daño, llame o envíe un mensaje de texto al 988 (Línea de Prevención del Suicidio y Crisis) a cualquier hora, de día o de noche. Hay ayuda en español.

## Su acuerdo
Al firmar, usted dice que:
- Leyó este formulario, o alguien se lo leyó.
- Tuvo la oportunidad de hacer preguntas, y le contestaron sus preguntas.
- Acepta el tratamiento con ketamina IV en esta clínica.
"""
