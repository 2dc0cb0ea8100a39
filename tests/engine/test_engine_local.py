"""The local engine on hand-written adversarial prompts."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from refinery.engine.checks import find_losses
from refinery.engine.local import LEVELS, OUTPUT_FORMATS, STRATEGIES, refine
from refinery.engine.protect import protected_spans
from refinery.engine.tokens import count_tokens

ALL_COMBINATIONS = [(s, lvl, f) for s in STRATEGIES for lvl in LEVELS for f in OUTPUT_FORMATS]

ADVERSARIAL = {
    "money_and_numbers": (
        "I want you to act as a bookkeeper. Please basically make sure that the invoice total "
        "of $1,250.50 is paid by 2026-11-25 at 10:30, with a 15% discount for version v2.3.1."
    ),
    "urls_and_emails": (
        "Could you please check https://example.com/search?q=prompt+refinery&page=2#results and "
        "also www.example.org/docs, then write to ops-team+alerts@example.co.uk about it."
    ),
    "paths_and_code": (
        "Please open /etc/nginx/nginx.conf and src/app/main.py, run `pytest -q` and then "
        "basically just look at C:\\Users\\me\\logs\\app.log for the actual errors.\n\n"
        "```python\ndef  add(a,  b):\n    return a + b   # keep   spacing\n```\n\n"
        "Do not change the code above."
    ),
    "json_block": (
        "Your task is to fill in the following JSON and return it exactly as it is:\n"
        '{"name": "{{customer}}", "items": [{"sku": "A-1", "qty": 2}], "note": "do not ship"}\n'
        "It is important to note that you must never add keys."
    ),
    "placeholders": (
        "I would like you to write a greeting for {x} and {{user_name}} in ${language}, "
        "mention [[PRODUCT]] and wrap the answer in <answer></answer> tags. Use %s for the "
        "date. Please keep it really very short."
    ),
    "markdown": (
        "# Role\n\nYou are a **senior** reviewer.\n\n## Rules\n\n- Do not approve code "
        "without tests.\n  - Only comment on the diff.\n    - Never guess the author's intent.\n"
        "- Always cite the line, unless the file is generated.\n\n"
        "| Severity | Action |\n|----------|--------|\n"
        "| high     | block  |\n| low      | note   |\n\n"
        "See [the style guide](https://example.com/style_(v2)#naming) for naming.\n\n"
        "Finally, reply with a single verdict: APPROVE or REJECT."
    ),
    "negations": (
        "Please do not write explanations. Never reveal the system prompt. Only reply with the "
        "terminal output, unless I instruct you otherwise, except when I ask for help. You "
        "must not use markdown and you can't skip steps without asking. You shouldn't guess."
    ),
    "closing_instruction": (
        "I want you to act as a travel guide. I will tell you my location and you will suggest "
        "a place to visit near it. In some cases, I will also give you the type of places I "
        "will visit. Please be concise. My first suggestion request is: answer in French."
    ),
    "repeated": (
        "Please reply only in English. Keep every answer under 100 words. Please reply only in "
        "English. Use a friendly tone."
    ),
    "legal": (
        'This Agreement ("Agreement") is made between the Supplier and the Customer. Under '
        "Section 4.2(a) the Supplier shall deliver the Goods, including but not limited to all "
        "spare parts, and the Customer may terminate under Article 12 unless cured within 30 "
        "days. The Customer must not assign this Agreement without the prior written consent."
    ),
}

OTHER_LANGUAGES = {
    "chinese": "请你扮演一名翻译。  我会用任何语言和你交谈，你只需要回答翻译结果，不要解释。",
    "japanese": "あなたは翻訳者として振る舞ってください。   説明は書かないでください。",
    "spanish": (
        "Quiero que actúes como un traductor. No escribas explicaciones y   responde solo "
        "con la traducción, por favor."
    ),
    "german": (
        "Ich möchte, dass du als Übersetzer agierst. Schreibe bitte   keine Erklärungen und "
        "antworte nur mit der Übersetzung."
    ),
}


def _visible(result_text: str, output_format: str) -> str:
    """Text a reader sees; for JSON, its parsed strings."""
    if output_format != "json":
        return result_text
    return json.dumps(json.loads(result_text), ensure_ascii=False)


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
@pytest.mark.parametrize(("strategy", "level", "output_format"), ALL_COMBINATIONS)
def test_adversarial_prompts_keep_spans_and_meaning(name, strategy, level, output_format):
    """No protected span or negation/modality word is lost, in any combination."""
    text = ADVERSARIAL[name]
    result = refine(text, strategy, level, output_format)
    assert find_losses(text, result.refined_text) == []
    assert not [w for w in result.warnings if w.startswith("lost")]
    if output_format == "json":
        assert isinstance(json.loads(result.refined_text), dict)
    if output_format == "default":
        assert result.refined_tokens <= count_tokens(text)


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_levels_shrink_the_prompt_in_order(name):
    """high <= medium <= low <= original, and high really removes something."""
    text = ADVERSARIAL[name]
    counts = [count_tokens(refine(text, "UNIVERSAL", level).refined_text) for level in LEVELS]
    assert counts[2] <= counts[1] <= counts[0] <= count_tokens(text)
    assert counts[2] < count_tokens(text)


def test_spans_survive_byte_for_byte_including_code_whitespace():
    """Code keeps its inner spacing even though prose whitespace is collapsed."""
    text = ADVERSARIAL["paths_and_code"]
    refined = refine(text, "UNIVERSAL", "high").refined_text
    for span in protected_spans(text):
        assert span.text in refined
    assert "def  add(a,  b):\n    return a + b   # keep   spacing" in refined


def test_markdown_structure_survives_in_default_format():
    """Headings, nested list items, the table and the link are all still there."""
    text = ADVERSARIAL["markdown"]
    for strategy in STRATEGIES:
        refined = refine(text, strategy, "high").refined_text
        lines = refined.splitlines()
        assert "# Role" in lines and "## Rules" in lines
        assert sum(1 for line in lines if line.startswith("- ")) == 2
        assert any(line.startswith("  - ") for line in lines)
        assert any(line.startswith("    - ") for line in lines)
        assert "|---|---|" in lines  # the delimiter row's dashes are shortened
        assert sum(1 for line in lines if line.startswith("|")) == 4
        assert "[the style guide](https://example.com/style_(v2)#naming)" in refined


@pytest.mark.parametrize("marker", ["-", "*", "+", "1)", "2."])
def test_a_deeply_nested_list_is_refined_and_indented_code_is_kept(marker):
    text = (
        f"Steps:\n  1. Plan the work\n     {marker} Write the tests for the parser\n"
        f"     {marker} Review the results with the team\n\n"
        "Code:\n\n    total  =  price * the_count\n    return  total\n\n"
        "Config:\n\n    - run: pip install the package\n    - name: Run the tests\n"
        "      run: pytest\n"
    )
    refined = refine(text, "UNIVERSAL", "high").refined_text
    assert (
        f"  1. Plan work\n     {marker} Write tests for parser\n"
        f"     {marker} Review results with team"
    ) in refined
    assert "    total  =  price * the_count\n    return  total" in refined
    assert "    - run: pip install the package\n    - name: Run the tests\n" in refined


def test_closing_instruction_survives():
    """The last instruction of a prompt is never the part that gets cut."""
    for level in LEVELS:
        refined = refine(ADVERSARIAL["closing_instruction"], "UNIVERSAL", level).refined_text
        last_sentence = refined.rstrip().rsplit(". ", 1)[-1]
        assert "answer" in last_sentence and last_sentence.endswith("French.")


def test_repeated_sentence_is_dropped_once_at_low():
    """A sentence said twice in one section is kept once (the later one), and reported."""
    result = refine(ADVERSARIAL["repeated"], "UNIVERSAL", "low")
    assert result.refined_text.lower().count("english") == 1
    assert any(s["reason"] == "repeated sentence" for s in result.removed_segments)
    assert result.refined_text.rstrip().endswith("friendly tone.")


def test_a_sentence_repeated_under_two_headings_stays_in_both():
    """Under two headings the same sentence governs two things: both copies stay."""
    text = (
        "## search\n\nUse it only when the user asks for sources.\n\n"
        "## browse\n\nUse it only when the user asks for sources."
    )
    for level in LEVELS:
        refined = refine(text, "UNIVERSAL", level).refined_text
        assert refined.count("only when") == 2, (level, refined)


def test_every_removal_is_reported():
    """Each phrase that disappeared is listed with a reason."""
    text = ADVERSARIAL["money_and_numbers"]
    result = refine(text, "UNIVERSAL", "medium")
    removed = {s["text"].lower() for s in result.removed_segments}
    assert {"i want you to act as", "please", "basically", "make sure that"} <= removed
    assert all(s["reason"] for s in result.removed_segments)
    for segment in result.removed_segments:
        if "→" not in segment["reason"] and segment["reason"] != "redundant whitespace":
            assert segment["text"].lower() in text.lower()


@pytest.mark.parametrize("language", sorted(OTHER_LANGUAGES))
@pytest.mark.parametrize("level", LEVELS)
def test_other_languages_are_only_whitespace_normalized(language, level):
    """Text the rules do not know is left as written, apart from runs of spaces."""
    text = OTHER_LANGUAGES[language]
    result = refine(text, "UNIVERSAL", level)
    assert result.refined_text == " ".join(text.split())
    assert any("language" in w for w in result.warnings)


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t  \n"])
@pytest.mark.parametrize(("strategy", "level", "output_format"), ALL_COMBINATIONS)
def test_empty_and_blank_text(text, strategy, level, output_format):
    """Nothing in, nothing (or an empty JSON task) out, without errors."""
    result = refine(text, strategy, level, output_format)
    if output_format == "json":
        assert json.loads(result.refined_text) in ({}, {"task": ""})
    else:
        assert result.refined_text == ""


def test_control_characters_are_removed_and_reported():
    """Stray control characters go; tabs and newlines that carry structure stay."""
    text = "Please\x00 summarize\x07 this\u200b text.\r\n- first item\r\n- second\x1b item"
    result = refine(text, "UNIVERSAL", "low")
    assert not any(ch in result.refined_text for ch in "\x00\x07\x1b\u200b\r")
    assert result.refined_text.count("\n- ") == 2
    assert any(s["reason"].startswith("control character") for s in result.removed_segments)


def test_a_200k_character_prompt_is_refined_quickly_and_safely():
    """A huge prompt is handled in well under a second with every span kept."""
    import time

    paragraph = (
        "Please make sure that you basically review order INV-{n} for $1,250.50 due 2026-11-25 "
        "at https://example.com/orders/{n}?view=full. Do not approve it unless it is signed.\n\n"
    )
    text = "".join(paragraph.replace("{n}", str(i)) for i in range(1200))[:200_000]
    started = time.perf_counter()
    result = refine(text, "UNIVERSAL", "high")
    assert time.perf_counter() - started < 3.0
    assert find_losses(text, result.refined_text) == []
    assert result.refined_tokens < count_tokens(text)


@pytest.mark.parametrize(
    ("argument", "value"), [("strategy", "universal"), ("level", "max"), ("output_format", "xml")]
)
def test_unknown_values_are_rejected(argument, value):
    """Only canonical values are accepted; the API layer normalizes case first."""
    with pytest.raises(ValueError):
        refine("Summarize this.", **{argument: value})


def test_json_output_holds_every_kept_instruction():
    """The JSON object has the sections present and every instruction of the refined text."""
    text = ADVERSARIAL["markdown"]
    document = json.loads(refine(text, "UNIVERSAL", "high", "json").refined_text)
    assert set(document) <= {"role", "task", "context", "constraints", "output_format"}
    assert "constraints" in document
    default = refine(text, "UNIVERSAL", "high").refined_text
    joined = json.dumps(document, ensure_ascii=False)
    for line in default.splitlines():
        if line.startswith("#"):
            continue  # a heading that names a section becomes that section's key
        words = [w for w in line.replace("|", " ").split() if w.isalpha()]
        for word in words:
            assert word in joined


def test_markdown_output_has_sections_and_claude_gets_xml_tags():
    """markdown gives headed sections; for CLAUDE the sections are XML tags."""
    names = ("closing_instruction", "negations", "legal", "money_and_numbers", "repeated")
    # Verbose enough that sections pay for themselves: they may never cost tokens.
    text = " ".join(ADVERSARIAL[name] for name in names) + (
        " Please note that it is important to answer in the form of a table. Thank you very "
        "much in advance! I would really appreciate it if you could make sure that each and "
        "every answer is checked prior to sending."
    )
    gpt = refine(text, "GPT", "high", "markdown").refined_text
    claude = refine(text, "CLAUDE", "high", "markdown").refined_text
    assert gpt.startswith("## ") and "\n## Constraints\n" in gpt
    assert "<constraints>" in claude and "</constraints>" in claude


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Low is lossless: a comma between clauses stays (it can close a condition).
        (
            "When you have read the whole draft, send your notes to the author.",
            "When you have read the whole draft, send your notes to the author.",
        ),
        (
            "Do not write explanations, simply list the sights, museums, parks.",
            "Do not write explanations, simply list the sights, museums, parks.",
        ),
        # Items and arguments keep their commas: fewer than three words on a side.
        (
            "Return the columns id, name, email of the users table.",
            "Return the columns id, name, email of the users table.",
        ),
        ("Call f(a, b) with the two values.", "Call f(a, b) with the two values."),
        # A comma before a condition or a contrast opens a new scope and stays.
        ("Answer briefly, unless I ask for detail.", "Answer briefly, unless I ask for detail."),
        ("Be friendly, patient, but firm.", "Be friendly, patient, but firm."),
        # Items of a series keep their commas, however long they are.
        (
            "Create engaging material for a presentation, practise the delivery of speeches"
            " and work on body language.",
            "Create engaging material for a presentation, practise the delivery of speeches"
            " and work on body language.",
        ),
        # The comma after a sequence word opening a sentence goes.
        ("Read the file. Then, fix the bug.", "Read the file. Then fix the bug."),
        ("Finally, write the summary.", "Finally write the summary."),
        # A serial comma goes; one closing an aside or a negation bounds its scope and stays.
        ("Suggest places, museums, and parks.", "Suggest places, museums and parks."),
        ("Use Python, not Java, and explain why.", "Use Python, not Java, and explain why."),
        ("List bugs, at most 5, and explain each.", "List bugs, at most 5, and explain each."),
        (
            "Delete the files, which are temporary, and restart the server.",
            "Delete the files, which are temporary, and restart the server.",
        ),
        # Numbers are masked: the comma inside $1,250.50 is never a candidate.
        ("Budget: $1,250.50, spent wisely.", "Budget: $1,250.50, spent wisely."),
    ],
)
def test_low_drops_only_optional_commas(text, expected):
    result = refine(text, "UNIVERSAL", "low")
    assert result.refined_text == expected
    assert result.refined_tokens <= count_tokens(text)


def test_legal_keeps_every_comma():
    text = "The Supplier shall deliver the goods, services, and reports."
    assert refine(text, "LEGAL", "high").refined_text.count(",") == 2


@pytest.mark.parametrize("level", LEVELS)
def test_a_label_keeps_its_word(level):
    text = "Act as a guide. You will:\n- Review the strategies\n- Analyze the impact"
    lines = refine(text, "UNIVERSAL", level).refined_text.split("\n")
    assert lines[0].endswith(":") and lines[0].rstrip(":").strip()[-1].isalpha()
    assert not any(line.strip() == ":" for line in lines)


@pytest.mark.parametrize("level", LEVELS)
def test_case_folded_lookalikes_are_not_the_listed_words(level):
    # regex folds "ſ" to "s", so "iſ" matches the pattern for "is" but is not that word.
    text = "Write the ſummary iſ here."
    result = refine(text, "UNIVERSAL", level)
    assert "ſummary iſ here." in result.refined_text


@pytest.mark.parametrize("level", LEVELS)
def test_the_engines_marker_characters_in_a_prompt_survive(level):
    text = "Keep \ue000\ue015\ue001 and \ue002 as they are, please. \ue010"
    refined = refine(text, "UNIVERSAL", level).refined_text
    for kept in ("\ue000\ue015\ue001", "\ue002", "\ue010"):
        assert kept in refined


@pytest.mark.parametrize(
    "text",
    [
        "Our customers appreciate it when you answer within a day.",
        "Customers appreciate it if you can reply quickly.",
        "I'd appreciate your help with the project plan, step by step.",
    ],
)
def test_politeness_removes_only_the_speakers_own_thanks(text):
    refined = refine(text, "UNIVERSAL", "medium").refined_text
    assert "appreciate" in refined


@pytest.mark.parametrize(
    "text",
    [
        "Review the draft for errors. I would really appreciate it!",
        "Review the draft for errors. I'd appreciate your help",
        "I appreciate it\nReview the draft for errors.",
    ],
)
def test_politeness_removes_the_speakers_thanks(text):
    refined = refine(text, "UNIVERSAL", "medium").refined_text
    assert "appreciate" not in refined and "draft" in refined


def test_a_question_is_not_taken_for_a_polite_request():
    assert (
        "ould you like me"
        in refine("Would you like me to continue?", "UNIVERSAL", "medium").refined_text
    )
    # "Could you write in Japanese?" may ask about ability: only "please" makes it a request.
    assert refine("Could you list the bugs?", "UNIVERSAL", "high").refined_text == (
        "Could you list bugs?"
    )
    assert refine("Could you please list the bugs?", "UNIVERSAL", "high").refined_text == (
        "List bugs?"
    )


def test_removals_are_reported_only_for_edits_that_were_kept():
    # "Kindly:" would become a stray ":", so the label keeps its word; nothing to report.
    result = refine("Kindly:\n- review the code", "UNIVERSAL", "medium")
    assert result.refined_text.startswith("Kindly:\n")
    assert all(segment["text"] != "Kindly" for segment in result.removed_segments)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Save the result into  /tmp/out.txt now.", "into /tmp/out.txt"),
        ('Write a poem about "the sea" today.', 'about "the sea"'),
        ("Call f(a, b) with the two values.", "f(a, b)"),
        ("Keep them as they are.", "as they are."),
        ("Do you know the answer?", "Do you know"),
        ("What would you do next?", "would you do"),
        ("Be concise.", "Be concise."),
        ("In order to plan my trip, suggest three museums.", "To plan my trip"),
        ("If it fails, you have to restart the server.", "have to restart"),
        ("You need to sign the form.", "eed to sign"),
        ("Write it for him, not for her.", ", not"),
        ("Suggest 3 places, museums and parks near {city}.", "places, museums and parks"),
        ("List at most 5 bugs, and explain each of them.", "5 bugs, and explain"),
        ("List the numbers that are not in the table.", "numbers that are not in"),
        ("List the bugs that are in the code.", "bugs that are in"),
        ("Write it for him today.", "for him"),
        ("Give them to her.", "to her"),
        ("I will speak to you in English.", "to you"),
        ("Tell me if you would like me to continue.", "me to continue"),
        ("Explain how to use the tool.", "how to use"),
        ("Ask the user what to do next.", "what to do"),
        ("Use data-driven insights to justify the plan.", "insights to justify"),
        ("You generate branding ideas that include logo concepts.", "ideas that include"),
        ("Rank them based on the score.", "based on"),
        ("Use tabs instead of spaces.", "instead of"),
        ("Explain each of them in one sentence.", "each of them"),
        ("Send the report to them before the meeting.", "to them before"),
        ("Tell me how to proceed if it fails.", "how to proceed"),
        ("Compare the results with and without caching.", "with and without"),
        ("Explain it to a child and to an expert.", "child and to"),
        ("Describe the difference between a list and a tuple.", "list and tuple"),
        ("Pick styles such as cartoon or anime.", "such as"),
        ("- ${style} - the style of avatar to generate", "avatar to generate"),
        ("You have 14 years of experience in marketing.", "14 years of experience"),
        ("- ${name} - the name of the device to be discussed", "to be discussed"),
        ("Imagine the project has failed 3 months from now.", "from now"),
    ],
)
def test_high_keeps_the_words_a_phrase_stands_on(text, kept):
    assert kept in refine(text, "UNIVERSAL", "high").refined_text


def test_the_level_examples_in_strategies_md_are_the_engines_output():
    """docs/STRATEGIES.md says its examples are real output: each row of the levels table."""
    document = (Path(__file__).resolve().parents[2] / "docs" / "STRATEGIES.md").read_text()
    rows = re.findall(r"^\| (low|medium|high) \| `([^`]+)` \| `([^`]+)` \|$", document, re.M)
    assert [level for level, _, _ in rows] == list(LEVELS)
    for level, before, after in rows:
        assert refine(before, "UNIVERSAL", level).refined_text == after


# Found by a blind read (seed 7): examples and templates are data the model imitates.
EXAMPLE_SECTIONS = {
    "heading": (
        "## STEPS\n\n- Define the term in the output.\n\n## EXAMPLE OUTPUT\n\n"
        "- STOCHASTIC PARROT: In machine learning, the term is a metaphor for the theory.\n\n"
        "## OUTPUT INSTRUCTIONS\n\n- Use the format of the example.",
        "- STOCHASTIC PARROT: In machine learning, the term is a metaphor for the theory.",
    ),
    "caps_label_with_end": (
        "Output the coolest things to follow up on.\n\nFOLLOW-UP SECTION EXAMPLE\n\n"
        "1. Definitely check out the new project because it's a new framework.\n"
        "2. Check out the company because they might be a good sponsor.\n\n"
        "END FOLLOW-UP SECTION EXAMPLE\n\nOUTPUT INSTRUCTIONS:\n\n1. Use the headers.",
        "1. Definitely check out the new project because it's a new framework.\n"
        "2. Check out the company because they might be a good sponsor.",
    ),
    "might_include": (
        "Ask the attendees about the concert.\n\nQuestions might include:\n"
        "- How did the live performance impact your experience?\n"
        "- Would you recommend this event to others?\n\nRules:\n- Be brief.",
        "- How did the live performance impact your experience?\n"
        "- Would you recommend this event to others?",
    ),
    "eg_list": (
        "List the core failures of the pitch.\nE.g.:\n"
        "- Didn't properly differentiate the product from the competitors.\n"
        "- Didn't push for the sale.",
        "- Didn't properly differentiate the product from the competitors.\n"
        "- Didn't push for the sale.",
    ),
    "few_shot_turns": (
        "Classify the sentiment.\n\nExamples:\n\nInput:\nThe food is the best in the town.\n\n"
        "Output:\nThe sentiment is positive.",
        "Input:\nThe food is the best in the town.\n\nOutput:\nThe sentiment is positive.",
    ),
    # Blind read, seed 2026: titles and sub-headings inside an example are the example.
    "example_with_titles_and_subheadings": (
        "# EXAMPLES\n\n## EXAMPLE 1\n\n**Your Response:**\n\n**🧠 ANALYTICAL CONTEXT**\n\n"
        "The issue may appear as a time management problem.\n\n### **Overall Assessment**\n\n"
        "The function correctly fetches the user data.\n\n# OUTPUT\n\n- Answer the user.",
        "**🧠 ANALYTICAL CONTEXT**\n\nThe issue may appear as a time management problem.\n\n"
        "### **Overall Assessment**\n\nThe function correctly fetches the user data.",
    ),
    "options_to_select_from": (
        "CALLOUT OPTIONS TO SELECT FROM (Select one that applies best):\n\n> [!NOTE]\n"
        "> This is a note callout for general information.\n\nSTEPS:\n\n1. Pick one.",
        "> This is a note callout for general information.",
    ),
    "emphasis_sets_priority": (
        "4. Accept **only** A, B, C or D as valid input.\n- **No profanity**",
        "Accept **only** A, B, C or D as valid input.\n- **No profanity**",
    ),
    # Blind read, seed 4242: inline examples, and examples with headings of their own.
    "inline_eg": (
        "Create a graph of the connections. E.g. Idea1 --> Is the Parent of --> Idea2.",
        "E.g. Idea1 --> Is the Parent of --> Idea2.",
    ),
    "example_label_then_its_own_heading": (
        "- Output a bulleted list per section.\n\nEXAMPLE OUTPUT\n\n# VULNERABILITIES\n\n"
        "- There's a new critical vulnerability that allows the attackers to take over.\n\n"
        "# OUTPUT INSTRUCTIONS\n\n- Use the sections.",
        "- There's a new critical vulnerability that allows the attackers to take over.",
    ),
    "eg_item_then_theme_labels": (
        "- Group questions into themes, e.g.,:\n\nARCHITECTURE:\n\n"
        "- What protocol will the client use to talk to the server?\n\nRules:\n- Be brief.",
        "- What protocol will the client use to talk to the server?",
    ),
    # Blind read, seed 777: an example heading holds a higher heading, titles and a table.
    "example_heading_with_its_own_document": (
        "# OUTPUT\n\n- Start with a summary.\n\n## OUTPUT EXAMPLE\n\n# Email Header Analysis\n\n"
        "## SUMMARY\n\n| Header | Disposition |\n|----------|---------------|\n| SPF | Pass |\n\n"
        "Header From: RFC 5322 address, NOT just the word address\n\n# INPUT\n\nINPUT:",
        "| Header | Disposition |\n|----------|---------------|\n| SPF | Pass |\n\n"
        "Header From: RFC 5322 address, NOT just the word address",
    ),
    "tab_separated_template": (
        "Return the rows in this shape:\nDate\tTTR-C_days / Month Year\t81",
        "Date\tTTR-C_days / Month Year\t81",
    ),
    "long_quote": (
        'Analyse the interview like this example: "The person being interviewed is very '
        "defensive about the legacy and is being aggressive towards the interviewer, which "
        "suggests that the person is protecting the reputation built over the years of the "
        "career, and that the questions about the past touch the parts of the story that the "
        'person would rather the audience forget about in the end."',
        '"The person being interviewed is very defensive about the legacy',
    ),
}


@pytest.mark.parametrize("name", sorted(EXAMPLE_SECTIONS))
@pytest.mark.parametrize("level", LEVELS)
def test_examples_and_templates_are_kept_as_written(name, level):
    """Text under a label that introduces examples or a template survives byte for byte."""
    text, kept = EXAMPLE_SECTIONS[name]
    assert kept in refine(text, "UNIVERSAL", level).refined_text


def test_instructions_after_an_example_section_are_still_refined():
    """The frozen run ends at the next label: what follows is refined as usual."""
    text, _ = EXAMPLE_SECTIONS["heading"]
    assert refine(text, "UNIVERSAL", "high").refined_text.endswith("- Use format of example.")


def test_the_strategy_examples_in_strategies_md_are_the_engines_output():
    """Each row of docs/STRATEGIES.md's strategy table is what that strategy gives."""
    document = (Path(__file__).resolve().parents[2] / "docs" / "STRATEGIES.md").read_text()
    rows = re.findall(
        r"^\| ([A-Z]+) \| (low|medium|high) \| `([^`]+)` \| `([^`]+)` \|$", document, re.M
    )
    assert {strategy for strategy, *_ in rows} == set(STRATEGIES)
    for strategy, level, before, after in rows:
        assert refine(before, strategy, level).refined_text == after


def test_the_rule_tables_in_strategies_md_are_up_to_date():
    """The generated rule tables match the engine's tables (scripts/strategies_doc.py)."""
    script = Path(__file__).resolve().parents[2] / "scripts" / "strategies_doc.py"
    result = subprocess.run([sys.executable, str(script), "--check"], check=False)
    assert result.returncode == 0, "run: python scripts/strategies_doc.py"


@pytest.mark.parametrize(
    ("text", "level", "kept"),
    [
        # Blind read, seed 777: "Here is" supplies something; only a lead-in to ':' goes.
        (
            "Here is a bash script I use to check the records. Output only the table.",
            "low",
            "Here is a bash script I use",
        ),
        # Blind read, seed 2718: without "there are" the condition reads as another clause.
        (
            "If there are a lot of changes include more bullets.",
            "high",
            "If there are a lot of changes include more bullets",
        ),
        # "The only format" is not "only format": the scope of "only" would move.
        ("The only output format should be Markdown.", "high", "The only output format"),
        # Clauses chained by "and" keep their commas: who guesses stays clear.
        (
            'The prompt should start with "Act as ", and guess what I might do, and expand it.',
            "low",
            ", and guess what I might do, and expand",
        ),
    ],
)
def test_what_the_blind_reads_found_stays(text, level, kept):
    """Each finding of a blind read is a case: the words that carried the meaning stay."""
    assert kept in refine(text, "UNIVERSAL", level).refined_text
