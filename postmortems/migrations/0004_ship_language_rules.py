"""Ship the blameless coach's language rules (facilitators edit them in the admin afterwards).

Patterns are Python regular expressions compiled with IGNORECASE and MULTILINE. {person} stands
for a pronoun, a role or a person's name; {name} for a person's name only (see postmortems/coach.py).
"""

from django.db import migrations

STORY = ["summary", "impact", "narrative", "supporting", "timeline", "factor"]
WRITING = STORY + ["lessons"]
ACTIONS = ["action_item"]
ALL = []

MODAL_HAVE = r"(?:should|could|would|might|ought\s+to)(?:n['’]t|\s+not)?(?:['’]ve|\s+(?:\w+ly\s+|all\s+|really\s+|also\s+)?have)"
ITEM_START = r"^[ \t]*(?:[-*+][ \t]+|\d+[.)][ \t]+|\[[ xX]\][ \t]+)?"

RULES = [
    # --- Blame and judgement ----------------------------------------------------------------
    dict(
        slug="human-error",
        category="blame",
        kinds=ALL,
        pattern=r"\b(?:human|operator|pilot|personnel)[\s-]+(?:errors?|mistakes?|failures?)\b",
        message="“Human error” names a person as the cause and ends the inquiry where it should begin.",
        suggestion="Describe what made the action easy to get wrong: “The command ran against production "
        "because both environments share one prompt.”",
    ),
    dict(
        slug="user-error",
        category="blame",
        kinds=WRITING,
        pattern=r"\b(?:was|is|just|simply|pure|plain|classic|obvious)\s+user\s+error\b",
        message="Calling it “user error” puts the cause in a person instead of in the design they used.",
        suggestion="Say what the interface allowed and what the person expected it to do.",
    ),
    dict(
        slug="careless",
        category="blame",
        kinds=ALL,
        pattern=r"\bcareless(?:ly|ness)?\b",
        message="“Careless” judges a person; it does not explain what made the slip possible.",
        suggestion="Describe the action by role and what surrounded it: “The on-call engineer restarted the "
        "primary” rather than “Alice carelessly restarted the primary”.",
    ),
    dict(
        slug="negligent",
        category="blame",
        kinds=ALL,
        pattern=r"\bneglig(?:ent|ently|ence)\b",
        message="“Negligent” is a verdict about a person, and verdicts stop people from telling the story.",
        suggestion="Describe what the person saw and did, and what made that reasonable at the time.",
    ),
    dict(
        slug="sloppy",
        category="blame",
        kinds=ALL,
        pattern=r"\bslopp(?:y|ily|iness)\b(?![\s-]+(?:quorums?|counters?|mode))",
        message="“Sloppy” judges someone's work instead of describing it.",
        suggestion="Say what was missing (a check, a review, a test) and why it was missing.",
    ),
    dict(
        slug="lazy",
        category="blame",
        kinds=ALL,
        pattern=r"\blaz(?:y|iness)\b(?![\s-]+(?:load\w*|evaluat\w*|initiali[sz]\w*|init\w*|import\w*|fetch\w*"
        r"|propert\w*|attribute\w*|iterat\w*|instantiat\w*|binding\w*|vals?\b|sequences?|static|expir\w*"
        r"|delet\w*|free\w*|replicat\w*|compil\w*|consensus|connect\w*|alloc\w*|mode|deserial\w*))",
        message="“Lazy” describes a person's character, not what happened.",
        suggestion="Describe the shortcut that was taken and what made it the sensible choice then "
        "(time pressure, a missing tool, a habit the system rewarded).",
    ),
    dict(
        slug="incompetent",
        category="blame",
        kinds=ALL,
        pattern=r"\bincompeten(?:t|tly|ce|cy)\b",
        message="“Incompetent” is an insult, not an explanation; nobody learns from it.",
        suggestion="Describe the knowledge the situation required and how people were expected to get it.",
    ),
    dict(
        slug="fault",
        category="blame",
        kinds=ALL,
        pattern=r"\b(?:his|her|their|your|my|our)\s+(?:own\s+)?fault\b|\bat\s+fault\b|\bfault\s+lies\b"
        r"|\bwhose\s+fault\b|\b(?!(?:nobody|noone|anyone|anybody|everyone|one)['’])[^\W\d_]+['’]s\s+fault\b",
        message="Looking for whose fault it was turns a post-mortem into a trial; people stop telling the truth.",
        suggestion="Ask what made the outcome possible: “What conditions allowed this change to reach production?”",
    ),
    dict(
        slug="blame",
        category="blame",
        kinds=ALL,
        pattern=r"(?<!\bgit\s)(?<!\bsvn\s)(?<!\bhg\s)(?<!\bnot\s)(?<!n['’]t\s)(?<!\bno\s)(?<!\bwithout\s)"
        r"(?<!\bassign\s)(?<!\bassigning\s)(?<!\babout\s)(?<!\bthan\s)(?<!\bone\sis\sto\s)"
        r"(?<!\bnobody\sis\sto\s)(?<!\bnot\sto\s)\bblam(?:e|ed|es|ing)\b",
        message="Blame makes people defensive, and defensive people leave out what they knew.",
        suggestion="Describe what happened and the conditions around it, without assigning it to anyone.",
    ),
    dict(
        slug="made-a-mistake",
        category="blame",
        kinds=WRITING,
        pattern=r"\b(?:his|her|their|my|your|our)\s+(?:own\s+)?(?:\w+\s+)?(?:mistakes?|blunders?)\b"
        r"|\bmade\s+(?:(?:a|an|the|this|that|several|many|some|one|another|two|three|a\s+few)\s+)?(?:\w+\s+)?"
        r"(?:mistakes?|blunders?|errors?)\b|\b[^\W\d_]+['’]s\s+(?:own\s+)?(?:mistakes?|blunders?)\b",
        message="“Made a mistake” frames the event as a person's failing; the interesting part is why the "
        "action made sense.",
        suggestion="What made this step seem right at the time? Describe that instead.",
    ),
    dict(
        slug="judgemental-mistake",
        category="blame",
        kinds=ALL,
        pattern=r"\b(?:silly|stupid|dumb|rookie|basic|careless|avoidable|obvious|newbie|beginner['’]?s?|amateur"
        r"|elementary|schoolboy|schoolgirl|costly)\s+(?:mistakes?|errors?|blunders?|slips?)\b",
        message="Calling a mistake basic or avoidable says it was easy to see; it was not, or it would not "
        "have happened.",
        suggestion="Describe what the person saw at the time, and what hid the problem from them.",
    ),
    dict(
        slug="bad-apple",
        category="blame",
        kinds=ALL,
        pattern=r"\bbad\s+apples?\b",
        message="The “bad apple” theory blames individuals for problems the system keeps producing.",
        suggestion="Look for what would make anyone in that position do the same.",
    ),
    dict(
        slug="insult",
        category="blame",
        kinds=ALL,
        pattern=r"\b(?:stupid(?:ly|ity)?|idiot(?:ic|s)?|moron(?:ic|s)?|clueless|brain[\s-]?dead)\b"
        r"|\bdumb\b(?![\s-]+(?:pipes?|terminals?|clients?|proxy|proxies|switch(?:es)?))",
        message="Insults end learning: the person stops talking and everyone else learns to hide mistakes.",
        suggestion="Describe the action neutrally, by role, and what made it reasonable at the time.",
    ),
    dict(
        slug="reckless",
        category="blame",
        kinds=ALL,
        pattern=r"\b(?:reckless(?:ly|ness)?|irresponsibl[ey]|irresponsibility|unprofessional(?:ly)?"
        r"|inexcusabl[ey]|unforgivabl[ey]|cowboys?)\b",
        message="Moral judgements (“reckless”, “irresponsible”) say how to feel about a person, not how the "
        "system behaved.",
        suggestion="Describe the decision, the information available and the pressure at that moment.",
    ),
    dict(
        slug="ignored-the-warning",
        category="blame",
        kinds=WRITING,
        pattern=r"{person}\s+(?:\w+ly\s+|simply\s+|just\s+)?(?:ignored|overlooked|disregarded|brushed\s+off)\s+"
        r"(?:(?:the|an?|all|every|several|multiple|two|three|both|those|these|its|their|his|her)\s+)?(?:[\w-]+\s+)?(?:alerts?|warnings?"
        r"|pages?|signs?|messages?|emails?|errors?|steps?|checks?|instructions?|notifications?|alarms?)\b",
        message="“Ignored the alert” claims a choice; usually the alert did not stand out among everything else.",
        suggestion="Describe what the person was looking at and how the alert appeared among the others.",
    ),
    dict(
        slug="dropped-the-ball",
        category="blame",
        kinds=ALL,
        pattern=r"\bdropped\s+the\s+ball\b|\basleep\s+at\s+the\s+(?:wheel|switch)\b|\bfell\s+asleep\s+on\s+the\s+job\b",
        message="“Dropped the ball” blames a person without saying what was expected of them or why it "
        "did not happen.",
        suggestion="Say what was expected, who (by role) was expected to do it, and what got in the way.",
    ),
    dict(
        slug="not-paying-attention",
        category="blame",
        kinds=ALL,
        pattern=r"\b(?:wasn['’]t|weren['’]t|was\s+not|were\s+not|not)\s+paying\s+(?:enough\s+)?attention\b"
        r"|\binattentive(?:ly|ness)?\b|\binattention\b",
        message="Attention is not a switch; saying someone was not paying attention hides what competed "
        "for it.",
        suggestion="Describe what else was happening and what the person was attending to at that moment.",
    ),
    dict(
        slug="poor-judgement",
        category="blame",
        kinds=ALL,
        pattern=r"\b(?:poor|bad|questionable|faulty|flawed)\s+judge?ments?\b|\blapses?\s+(?:in|of)\s+"
        r"(?:judge?ment|concentration|attention)\b|\berrors?\s+(?:of|in)\s+judge?ment\b",
        message="“Poor judgement” is hindsight: the judgement looks poor only once the outcome is known.",
        suggestion="What made this step seem right at the time?",
    ),
    dict(
        slug="lack-of-care",
        category="blame",
        kinds=ALL,
        pattern=r"\black\s+of\s+(?:attention|care|diligence|discipline|ownership|professionalism|competence"
        r"|rigou?r|accountability|effort|caring)\b",
        message="A “lack of care” or “lack of ownership” describes people's character, not the conditions "
        "of their work.",
        suggestion="Describe the specific check or step that did not happen and what made it easy to skip.",
    ),
    dict(
        slug="fat-finger",
        category="blame",
        kinds=ALL,
        pattern=r"\bfat[\s-]?finger(?:ed|ing|s)?\b",
        message="“Fat-fingered” makes the typist the cause; typos are certain, so the question is why one "
        "could do damage.",
        suggestion="Describe the input and what let it through: “A mistyped host name passed validation and "
        "pointed the job at the primary.”",
    ),
    dict(
        slug="screwed-up",
        category="blame",
        kinds=ALL,
        pattern=r"{person}\s+(?:\w+\s+)?(?:screwed|messed|fucked|cocked|goofed|stuffed)\s+(?:it\s+|things\s+)?up\b"
        r"|\b(?:botched|bungled|blundered|goofed)\b",
        message="“Screwed up” and “botched” are verdicts about people, not descriptions of events.",
        suggestion="Describe what was done and what it led to, by role: “The deploy ran the migration twice.”",
    ),
    dict(
        slug="person-responsible",
        category="blame",
        kinds=ALL,
        pattern=r"(?!(?:no[\s-]?one|nobody)\b){person}\s+(?:was|were|is|are)\s+(?:solely\s+|directly\s+|ultimately\s+|fully\s+)?"
        r"(?:responsible|accountable|to\s+blame)\s+for\s+(?:the|this|that)\s+(?:\w+\s+)?(?:outage|incident"
        r"|failure|breakage|downtime|mistake|error|problem|loss|disruption)\b"
        r"|\bthe\s+(?:person|engineer|one|people|individual|developer|operator)s?\s+responsible\b"
        r"(?!\s+for\s+(?:the\s+)?(?:follow|action|fix|review|rotation))",
        message="Holding a person responsible for an outage stops the search for the conditions that "
        "produced it.",
        suggestion="Describe the chain of events; name the follow-up owners in the action items instead.",
    ),
    dict(
        slug="should-know-better",
        category="blame",
        kinds=ALL,
        pattern=r"\b(?:should|ought\s+to)\s+know\s+better\b|\bknew\s+better\b",
        message="“Should know better” measures people against hindsight, not against what they knew.",
        suggestion="What made this step seem right at the time?",
    ),
    dict(
        slug="no-excuse",
        category="blame",
        kinds=ALL,
        pattern=r"\b(?:there\s+(?:is|was)\s+no|no|without)\s+excuse\b|\binexcusable\b",
        message="Talking about excuses turns a review into a trial.",
        suggestion="Describe the reasons as reasons: what made the action sensible to the person doing it.",
    ),
    dict(
        slug="unfit",
        category="blame",
        kinds=ALL,
        pattern=r"\b(?:inexperienced|unqualified|incapable|inept|unfit\s+for)\b"
        r"|\buntrained\b(?!\s+(?:models?|classifiers?|networks?|weights))",
        message="Calling someone inexperienced or unqualified puts the problem in the person, not in how "
        "the work was set up.",
        suggestion="Describe what the task required and what support (docs, pairing, tooling) was available.",
    ),
    dict(
        slug="correct-the-person",
        category="blame",
        kinds=ACTIONS + ["lessons"],
        pattern=r"\b(?:retrain|re-train|reprimand|discipline|punish|fire|sack|warn|remind|scold|talk\s+to"
        r"|speak\s+(?:to|with)|coach|tell)\s+(?:the\s+|our\s+|all\s+|every\s+)?(?:engineers?|operators?|developers?"
        r"|on[\s-]?call(?:\s+engineers?)?|persons?|people|employees?|interns?|staff|individuals?|{name})\b",
        message="Follow-ups that correct a person (retrain, remind, warn) treat the person as the problem and "
        "rarely change what made the slip possible.",
        suggestion="Change the system instead: a guard rail, a default, an alert, a clearer runbook step.",
    ),
    # --- Counterfactuals (allowed in lessons and action items, where they are plans) -----------
    dict(
        slug="should-have",
        category="counterfactual",
        kinds=STORY,
        pattern=r"{person}\s+(?:\w+\s+)?" + MODAL_HAVE + r"\b(?!\s+to\b)",
        message="“Should have”, “could have” and “would have” tell the story that did not happen; readers "
        "learn more from the one that did.",
        suggestion="What made this step seem right at the time? Describe what the person saw and did.",
    ),
    dict(
        slug="should-have-known",
        category="counterfactual",
        kinds=STORY,
        pattern=MODAL_HAVE + r"\s+(?:\w+ly\s+)?(?:known|noticed|realised|realized|spotted|anticipated|foreseen"
        r"|predicted|remembered|thought|asked|double[\s-]?checked|paid\s+(?:more\s+|closer\s+)?attention"
        r"|been\s+(?:more\s+)?(?:careful|aware|cautious|vigilant|attentive|thorough|diligent)"
        r"|seen\s+(?:it|this|that)\s+coming"
        r"|followed\s+the\s+(?:runbook|procedure|process|checklist|playbook|instructions)"
        r"|read\s+the\s+(?:runbook|docs|documentation|manual|warning|instructions))\b",
        message="“Should have known” judges a decision by an outcome nobody could see at the time.",
        suggestion="What made this step seem right at the time?",
    ),
    dict(
        slug="could-have-been-avoided",
        category="counterfactual",
        kinds=STORY,
        pattern=MODAL_HAVE + r"\s+(?:\w+ly\s+)?been\s+(?:\w+ly\s+)?(?:avoided|prevented|spotted|noticed"
        r"|caught\s+(?:earlier|sooner|before))\b",
        message="“Could have been avoided” is true of every incident afterwards; it hides what made it hard "
        "to avoid beforehand.",
        suggestion="Describe what would have had to be visible, and to whom, for the outcome to change.",
    ),
    dict(
        slug="if-only",
        category="counterfactual",
        kinds=STORY,
        pattern=r"\bif\s+only\b",
        message="“If only” imagines a different past instead of explaining this one.",
        suggestion="Describe what did happen and what made it likely.",
    ),
    dict(
        slug="failed-to",
        category="counterfactual",
        kinds=STORY,
        pattern=r"{person}\s+(?:\w+ly\s+|also\s+|then\s+)?(?:had\s+)?failed\s+to\b",
        message="“Failed to” measures a person against what we know now; it says what they did not do, not "
        "what they did.",
        suggestion="Describe what the person did instead and why it made sense: “The on-call engineer "
        "checked the replica first, because the alert pointed there.”",
    ),
    dict(
        slug="failed-to-notice",
        category="counterfactual",
        kinds=STORY,
        pattern=r"\b(?:failed|failing|failure)\s+to\s+(?:notice|realise|realize|understand|pay\s+attention|heed"
        r"|anticipate|consider|double[\s-]?check|ask|inform|mention|take\s+into\s+account|think|remember|tell"
        r"|speak\s+up|review\s+the"
        r"|follow\s+(?:the\s+)?(?:runbook|procedure|process|checklist|playbook|instructions|protocol|policy|steps)"
        r"|read\s+the\s+(?:runbook|docs|documentation|manual|warning|instructions))\b",
        message="“Failed to notice” describes a person by what they missed in hindsight.",
        suggestion="Describe what the person was looking at, and what made the signal easy to miss.",
    ),
    dict(
        slug="did-not-bother",
        category="counterfactual",
        kinds=STORY,
        pattern=r"\b(?:didn['’]t|did\s+not|never|couldn['’]t|could\s+not|wouldn['’]t|won['’]t)\s+(?:even\s+)?"
        r"(?:bother|be\s+bothered)\b|\bnot\s+bother(?:ed|ing)?\s+to\b"
        r"|\b(?:nobody|no[\s-]one)\s+(?:thought|bothered|cared|remembered)\s+to\b",
        message="“Didn't bother” claims to know a person's motives, and blames them.",
        suggestion="Describe what the person did and what made the skipped step look unnecessary.",
    ),
    dict(
        slug="neglected-to",
        category="counterfactual",
        kinds=STORY,
        pattern=r"\bneglect(?:ed|s|ing)?\s+(?:to|the|their|his|her|our)\b",
        message="“Neglected to” blames a person for a step that, at the time, did not look necessary.",
        suggestion="Describe what the person did, and what made the step easy to leave out.",
    ),
    dict(
        slug="forgot-to",
        category="counterfactual",
        kinds=STORY,
        pattern=r"\b(?:forgot|forgets|forgetting|(?:had|has|have)\s+forgotten)\s+(?:to|about)\b",
        message="Forgetting is certain to happen; “forgot to” makes it a personal failing instead of a "
        "design question.",
        suggestion="Describe what relied on memory: “The release checklist had no step for the cache flush.”",
    ),
    dict(
        slug="had-they-only",
        category="counterfactual",
        kinds=STORY,
        pattern=r"\b(?:if\s+{person}\s+(?:had|['’]d)|had\s+{person})\s+(?:only\s+|just\s+)?(?:\w+ed|known|seen"
        r"|done|read|run|taken|caught|noticed|asked|been)\b",
        message="“Had they checked...” tells the story that did not happen.",
        suggestion="Describe what the people involved did, and what they knew when they did it.",
    ),
    dict(
        slug="was-supposed-to",
        category="counterfactual",
        kinds=STORY,
        pattern=r"{person}\s+(?:was|were)\s+supposed\s+to\b",
        message="“Was supposed to” compares a person with an ideal procedure instead of with real work.",
        suggestion="Describe how the work is actually done, and how this time differed.",
    ),
    dict(
        slug="why-didnt",
        category="counterfactual",
        kinds=STORY,
        pattern=r"\bwhy\s+(?:didn['’]t|did\s+not|wasn['’]t|weren['’]t|hadn['’]t|had\s+not|couldn['’]t|could\s+not"
        r"|wouldn['’]t)\s+{person}|\bwhy\s+did\s+(?:nobody|no[\s-]one)\b",
        message="“Why didn't they...” asks people to defend themselves.",
        suggestion="Ask how instead: “How did the alert look to the on-call engineer at 02:10?”",
    ),
    # --- Minimising words ----------------------------------------------------------------------
    dict(
        slug="obviously",
        category="minimising",
        kinds=WRITING,
        pattern=r"(?<!\bnot\s)(?<!n['’]t\s)(?<!\bnon-)(?<!\bnon\s)(?<!\bno\s)(?<!\bless\s)(?<!\bfrom\s)"
        r"(?<!\bnever\s)(?<!\bimmediately\s)(?<!\bnothing\s)(?<!\bat\sall\s)\bobvious(?:ly)?\b",
        message="“Obvious” is hindsight: it was not obvious to the people there, or they would have acted on it.",
        suggestion="Describe what the signal looked like at the time and what else competed for attention.",
    ),
    dict(
        slug="simply",
        category="minimising",
        kinds=WRITING,
        pattern=r"\b(?:simply|merely)\b(?!\s+put\b)",
        message="“Simply” makes the work sound trivial, and the people who struggled with it sound slow.",
        suggestion="Drop the word, or say what made the step harder than it looks now.",
    ),
    dict(
        slug="just",
        category="minimising",
        kinds=WRITING,
        pattern=r"(?<!\bonly\s)(?<!\bhad\s)(?<!\bhas\s)(?<!\bhave\s)(?<!['’]d\s)\bjust\b(?![\s-]+(?:before|after|as|in[\s-]+"
        r"(?:time|case)|under|over|about|around|below|above|now|then|enough|like|when|once|prior|past|short|shy"
        r"|beyond|ahead|behind|outside|inside|because|another|started|begun|landed|finished|arrived|released"
        r"|the\s+(?:same|start|beginning|first|one|way)|a\s+(?:few|couple|minute|second|moment|handful|bit|little)"
        r"|\d|one|two|three|four|five|ten|minutes|seconds|hours|days|this\s+(?:once|time))\b)",
        message="“Just” shrinks the step (“just restart it”) and the people who did not take it.",
        suggestion="Drop “just”, or say what made the step less easy than it sounds.",
    ),
    dict(
        slug="clearly",
        category="minimising",
        kinds=WRITING,
        pattern=r"(?<!\bmore\s)(?<!\bless\s)(?<!\bnot\s)(?<!\bvery\s)\bclearly\b(?!\s+(?:defined|separated|labell?ed"
        r"|marked|delineated|scoped))",
        message="“Clearly” tells the reader the answer was plain; it was not plain to the people in the incident.",
        suggestion="Describe what the evidence showed and when it was seen.",
    ),
    dict(
        slug="it-was-clear",
        category="minimising",
        kinds=WRITING,
        pattern=r"\bit\s+(?:was|is|should\s+have\s+been)\s+(?:very\s+|quite\s+|perfectly\s+|abundantly\s+)?clear"
        r"\s+(?:that|from)\b",
        message="“It was clear that...” is hindsight unless the text says to whom, and when.",
        suggestion="Say who saw what, and when: “By 02:40 the on-call engineer could see the disk was full.”",
    ),
    dict(
        slug="of-course",
        category="minimising",
        kinds=WRITING,
        pattern=r"\bof\s+course\b",
        message="“Of course” implies everyone knew; the incident suggests otherwise.",
        suggestion="Drop it, or say how the knowledge is shared (docs, onboarding, a dashboard).",
    ),
    dict(
        slug="trivial",
        category="minimising",
        kinds=WRITING,
        pattern=r"(?<!\bnon-)(?<!\bnon\s)(?<!\bnot\s)(?<!n['’]t\s)\btrivial(?:ly)?\b",
        message="“Trivial” makes the fix sound easy and the time it took sound wasted.",
        suggestion="Describe the fix plainly, and what made finding it take the time it did.",
    ),
    dict(
        slug="easy-to-spot",
        category="minimising",
        kinds=WRITING,
        pattern=r"(?<!\bit\s)\b(?:easy|easily)\s+(?:to\s+)?(?:spot|see|avoid|catch|prevent|notice)\b"
        r"|\beasily\s+(?:spotted|seen|avoided|caught|prevented|noticed)\b",
        message="“Easy to spot” is true only afterwards; at the time it was not spotted.",
        suggestion="Describe what hid the problem from the people looking at it.",
    ),
    dict(
        slug="common-sense",
        category="minimising",
        kinds=ALL,
        pattern=r"\bcommon\s+sense\b|\b(?:everyone|everybody)\s+knows\b|\banyone\s+(?:would|could)\s+(?:have\s+)?"
        r"(?:known|seen|noticed|spotted)\b|\bany\s+(?:competent|reasonable|experienced|good|decent|sensible"
        r"|half[\s-]decent|qualified)\s+(?:engineer|developer|operator|person|admin|SRE)s?\b",
        message="Appeals to common sense assume knowledge that the incident shows was not common.",
        suggestion="Say where the knowledge lives and how someone new would come to have it.",
    ),
    dict(
        slug="only-had-to",
        category="minimising",
        kinds=WRITING,
        pattern=r"{person}\s+(?:\w+\s+)?(?:only|merely)\s+(?:had|needed)\s+to\b",
        message="“Only had to” makes the missed step sound small, and the person who missed it careless.",
        suggestion="Describe the step and what made it easy to miss.",
    ),
    # --- Person as cause ---------------------------------------------------------------------
    dict(
        slug="name-broke",
        category="person_as_cause",
        kinds=ALL,
        pattern=r"{name}\s+(?:\w+ly\s+)?(?:broke|breaks|has\s+broken|had\s+broken|caused|causes|crashed|wiped"
        r"|corrupted|misconfigured|mis-configured|took\s+down|brought\s+down|knocked\s+(?:over|out)|forgot"
        r"|forgets|ignored|ignores|missed|overlooked|skipped|bypassed|mistyped|misread|misjudged|misunderstood"
        r"|misinterpreted|fat[\s-]?fingered|screwed\s+up"
        r"|messed\s+up|botched|dropped\s+the\s+ball|failed\s+to|neglected|(?:did\s+not|didn['’]t|never)\s+"
        r"(?:check|test|notice|follow|read|verify|review|wait|bother|ask|tell)|(?:was|is)\s+(?:\w+\s+)?"
        r"(?:responsible\s+for\s+the|to\s+blame)|(?:pushed|deployed|shipped|merged|committed|released)\s+"
        r"(?:a|an|the|his|her|their)\s+(?:bad|broken|faulty|buggy|untested|wrong|incorrect)"
        r"|introduced\s+(?:a|an|the)\s+(?:\w+\s+)?(?:bug|regression|typo|error|defect|outage))\b",
        message="A person's name as the subject of a failure makes the story about them; people are named "
        "by role in a blameless write-up.",
        suggestion="Use the role and describe the event: “The on-call engineer restarted the primary.”",
    ),
    dict(
        slug="name-accidentally",
        category="person_as_cause",
        kinds=ALL,
        pattern=r"{name}\s+(?:accidentally|mistakenly|inadvertently|carelessly|wrongly|erroneously|unintentionally"
        r"|somehow|stupidly|recklessly|negligently|blindly|hastily|unknowingly)\s+\w+",
        message="Naming the person who “accidentally” did something makes them the cause.",
        suggestion="Use the role and describe the action: “A cleanup command removed the volume.”",
    ),
    dict(
        slug="name-change-caused",
        category="person_as_cause",
        kinds=ALL,
        pattern=r"{name}['’]s\s+(?:[\w-]+\s+){0,2}?(?:changes?|commits?|deploy(?:ment)?s?|push|PRs?|pull\s+requests?"
        r"|merges?|scripts?|config(?:uration)?s?|query|queries|migrations?|typos?|code|patch(?:es)?|edits?"
        r"|commands?|updates?|releases?|rollouts?|cleanup|refactor(?:ing)?|work)\s+(?:\w+ly\s+)?(?:caused"
        r"|broke|triggered|took\s+down|brought\s+down|led\s+to|resulted\s+in|introduced|crashed|corrupted"
        r"|wiped|overloaded|exhausted|deleted|dropped|(?:was|is)\s+the\s+(?:root\s+)?cause)\b",
        message="Attributing the failure to a person's change makes it about them; every change is made by "
        "someone.",
        suggestion="Describe the change and how it reached production: “A configuration change lowered the "
        "connection limit; no check compared it with the running value.”",
    ),
    dict(
        slug="name-mistake",
        category="person_as_cause",
        kinds=ALL,
        pattern=r"{name}['’]s\s+(?:\w+\s+)?(?:mistakes?|errors?|typos?|fault|blunders?|screw[\s-]?ups?|oversights?"
        r"|negligence|carelessness|slips?)\b(?![\s-]+(?:budgets?|rates?|handling|handlers?|logs?|messages?|pages?))",
        message="Calling it a person's mistake makes them the cause of the incident.",
        suggestion="Describe the action and the conditions that made it possible, by role.",
    ),
    dict(
        slug="caused-by-name",
        category="person_as_cause",
        kinds=ALL,
        pattern=r"\b(?:caused|broken|triggered|introduced|brought\s+down|taken\s+down|corrupted|wiped|botched)"
        r"\s+by\s+{name}",
        message="“Caused by” a person makes them the cause; incidents have conditions, not culprits.",
        suggestion="Say what caused it in the system: “caused by a configuration change that lowered the limit”.",
    ),
    dict(
        slug="because-of-name",
        category="person_as_cause",
        kinds=ALL,
        pattern=r"\b(?:due\s+to|because\s+of|blame\s+(?:it\s+)?on|(?:root\s+)?cause\s+(?:was|is)|culprit\s+(?:was|is))"
        r"\s+{name}(?!['’]s\s+(?:quick|fast|prompt|swift|careful|good|great|help|work|fix))",
        message="Naming a person as the reason for the incident makes the story about them.",
        suggestion="Name the condition or the change instead, and the person by role if at all.",
    ),
    # --- Action-item quality -------------------------------------------------------------------
    dict(
        slug="vague-investigate",
        category="action_quality",
        kinds=ACTIONS,
        pattern=ITEM_START + r"(?P<hit>investigate|look\s+into|explore|research|consider|think\s+about|discuss"
        r"|figure\s+out|evaluate|assess|revisit|dig\s+into)\b",
        message="“Investigate” and “look into” have no end: nobody can tell when the item is done.",
        suggestion="Start with a verb that produces something and bound it: “Write a one-page comparison of "
        "the two failover options by 30 June.”",
    ),
    dict(
        slug="vague-be-careful",
        category="action_quality",
        kinds=ACTIONS,
        pattern=r"\b(?:be\s+(?:more\s+|extra\s+|very\s+)?(?:careful|vigilant|cautious|attentive|diligent|mindful"
        r"|aware|thorough)|pay\s+(?:more\s+|closer\s+|extra\s+)?attention|take\s+(?:more|extra|better)\s+care"
        r"|remember\s+to|don['’]t\s+forget|do\s+not\s+forget|stay\s+alert|think\s+twice)\b",
        message="“Be more careful” asks people to change without changing anything around them; it does not "
        "survive the next busy night.",
        suggestion="Change the system: add a guard rail, a confirmation, an alert or a checklist step.",
    ),
    dict(
        slug="vague-make-sure",
        category="action_quality",
        kinds=ACTIONS,
        pattern=r"\b(?:make\s+sure|try\s+to|attempt\s+to|do\s+(?:a\s+)?better|be\s+better|ensure\s+(?:that\s+)?"
        r"(?:people|everyone|everybody|engineers|we|the\s+team|teams|staff|developers))\b",
        message="“Make sure” and “try to” describe a wish, not a piece of work.",
        suggestion="Say what will be built or changed, so that it can be done and checked: “Add a CI check "
        "that fails when a migration drops a column.”",
    ),
    dict(
        slug="vague-improve",
        category="action_quality",
        kinds=ACTIONS,
        pattern=ITEM_START + r"(?P<hit>improve|enhance|strengthen|optimi[sz]e|streamline|increase|reduce|harden"
        r"|tighten|revamp)\b(?![^\n]*(?:\d|%|\b(?:to|below|under|above|within|until|so\s+that|by\s+(?:adding"
        r"|removing|moving|replacing|switching|using|requiring|setting|running))\b))",
        message="“Improve X” without a measure cannot be finished: there is always more improving to do.",
        suggestion="Say by how much or by what change: “Alert within 5 minutes when the queue is older than "
        "10 minutes.”",
    ),
    dict(
        slug="vague-more-better",
        category="action_quality",
        kinds=ACTIONS,
        pattern=r"\b(?:better|improved|more|additional|extra|increased)\s+(?:communication|coordination|monitoring"
        r"|testing|tests|documentation|docs|alerting|alerts|visibility|awareness|training|logging|logs"
        r"|observability|oversight|care|reviews?|process(?:es)?|checks)\b(?![^\n]*\d)",
        message="“More monitoring” or “better communication” names a direction, not a piece of work.",
        suggestion="Name the specific alert, test, document or channel, and what it covers.",
    ),
    dict(
        slug="vague-monitor",
        category="action_quality",
        kinds=ACTIONS,
        pattern=r"\b(?:monitor|watch)\s+(?:\w+\s+){0,3}?(?:closely|carefully|more\s+closely|better)\b"
        r"|\bkeep\s+an\s+eye\s+on\b|\bbe\s+on\s+the\s+lookout\b",
        message="“Keep an eye on it” relies on people remembering to look.",
        suggestion="Add an alert with a threshold and a runbook link, so the system does the watching.",
    ),
    dict(
        slug="vague-as-needed",
        category="action_quality",
        kinds=ACTIONS,
        pattern=r"\b(?:as\s+needed|where\s+(?:possible|appropriate|necessary)|if\s+(?:possible|needed|necessary)"
        r"|when\s+(?:possible|time\s+permits)|going\s+forward|in\s+the\s+future|as\s+appropriate)\b",
        message="Qualifiers like “where possible” or “going forward” leave the item without a boundary.",
        suggestion="Say exactly which systems or cases the item covers, and by when.",
    ),
]


def ship_rules(apps, schema_editor):
    LanguageRule = apps.get_model("postmortems", "LanguageRule")
    for rule in RULES:
        LanguageRule.objects.update_or_create(
            slug=rule["slug"],
            defaults={
                "pattern": rule["pattern"],
                "is_regex": True,
                "category": rule["category"],
                "message": rule["message"],
                "suggestion": rule["suggestion"],
                "section_kinds": list(rule["kinds"]),
                "enabled": True,
            },
        )


def remove_rules(apps, schema_editor):
    LanguageRule = apps.get_model("postmortems", "LanguageRule")
    LanguageRule.objects.filter(slug__in=[rule["slug"] for rule in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("postmortems", "0003_ship_templates_and_categories")]

    operations = [migrations.RunPython(ship_rules, remove_rules)]
