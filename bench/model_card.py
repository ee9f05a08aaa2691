"""Write models/default/MODEL_CARD.md from the model's manifest (figures never typed by hand).

Usage: python bench/model_card.py [MODEL_DIR]   (bench/train_default.py runs it after training)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: what the estimator codes of `complaint-nlp train --estimator` are, in words
ESTIMATOR_NAMES = {
    "logreg": "multinomial logistic regression",
    "logreg_nblr": "multinomial logistic regression pooled with NB-LR",
    "nblr": "NB-LR (one-vs-rest logistic regression on naive-Bayes-scaled features)",
    "svc": "LinearSVC with Platt calibration",
    "sgd": "log-loss SGD",
    "cnb": "complement naive Bayes",
}


def f3(v: object) -> str:
    return "-" if v is None else f"{v:.3f}"


def per_class(rep: dict) -> list[str]:
    out = ["| class | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for c, v in rep["per_class"].items():
        out.append(f"| {c} | {f3(v['precision'])} | {f3(v['recall'])} | {f3(v['f1'])} | {v['support']} |")
    return out


def render(manifest: dict) -> str:
    m = manifest.get("metrics", {})
    held, ins, ext = m.get("heldout", {}), m.get("in_style_test", {}), m.get("external", {})
    t = manifest["trained_on"]
    L = [
        f"# Model card: `{manifest['name']}` (complaint_nlp {manifest.get('library_version', '?')})",
        "",
        "Written by `bench/model_card.py` from `manifest.json`; every figure below comes from there.",
        "",
        "## What it is",
        "",
        f"Two linear classifiers ({', '.join(f'{h}: {ESTIMATOR_NAMES.get(e, e)} (`{e}`)' for h, e in manifest['training']['chosen'].items())}) over one TF-IDF "
        f"feature space of {manifest['n_features']:,} jieba-word and character n-grams, with @-accounts, brands, links and numbers replaced by "
        "typed placeholders before featurising. Heads: `category` (TAXONOMY §1, 10 codes) and `emotion` (TAXONOMY §2, 7 codes). Saved as JSON "
        "and `.npz` arrays (no pickle); the manifest's SHA-256 covers every file.",
        "",
        "## Training data",
        "",
        f"{t['rows']:,} messages of the train split of `data/labeled/{t['file']}` (sha256 `{t['sha256'][:16]}…`): Chinese customer complaints and "
        "everyday posts written by this project across seven channels (Weibo, complaint platforms, e-commerce reviews, chat, call-centre notes, "
        "forums, everyday posts), Simplified and Traditional, with slang, typos and several grievances per post. No text from external datasets or "
        "websites."
        + ((f" Rows were weighted so that every `{sw['column']}` weighs the same in total" if sw["power"] == 0 else
            f" Rows were weighted so that each `{sw['column']}` weighs its row count to the power {sw['power']:g} in total")
           + ", so the largest one does not drown the others." if (sw := manifest["training"].get("sample_weights")) else ""),
        "",
        "## Intended use",
        "",
        "Routing and prioritising Chinese customer complaints for service and quality teams (auto dealers, e-commerce, telecom, banks, delivery), "
        "always with the evidence spans the library returns, and with a person deciding what to do. Not for judging individuals, credit, "
        "employment or anything legal; not for languages other than Chinese.",
        "",
        "## How well it does",
        "",
        "| set | n | category macro-F1 | emotion macro-F1 |",
        "|---|---|---|---|",
    ]
    if ins:
        L.append(f"| in-style test split (same writers as training: flatters the model) | {ins['category']['n']} | {f3(ins['category']['macro_f1'])} | {f3(ins['emotion']['macro_f1'])} |")
    if held:
        L.append(f"| style-held-out set (other authors, never trained or tuned on) | {held['category']['n']} | **{f3(held['category']['macro_f1'])}** | **{f3(held['emotion']['macro_f1'])}** |")
    if ext:
        car, wb = ext.get("car_complaint_titles"), ext.get("weibo_emotion")
        if wb:
            L.append(f"| real Weibo posts, 4 emotions (`../shared/eval/weibo_emotion.csv`) | {wb['n']} | | {f3(wb['macro_f1'])} |")
        if car:
            L.append(f"| real car-complaint titles: top-1 category among the title's labels | {car['rows']} | {f3(car['top1_inside_labels'])}; "
                     f"{f3(car['top1_inside_labels_safety_read_as_product_quality'])} with our safety read as the platform's product_quality "
                     f"(a constant product_quality: {f3(car['constant_product_quality_inside_labels'])}) | |")
    if held:
        L += ["", "### Per class on the style-held-out set", "", "**Category**", ""] + per_class(held["category"]) + ["", "**Emotion**", ""] + per_class(held["emotion"])
    L += [
        "",
        "## Known weaknesses",
        "",
    ]
    wb = ext.get("weibo_emotion")
    if wb and held:
        pc = wb["per_class"]
        L.append(f"- Real text is harder than ours: on real Weibo posts emotion macro-F1 is {f3(wb['macro_f1'])} against {f3(held['emotion']['macro_f1'])} "
                 f"on our held-out set; real posts are read as fear/anxiety and as neutral too often (precision {f3(pc['fear']['precision'])} and "
                 f"{f3(pc['neutral']['precision'])}).")
    if ext.get("car_complaint_titles"):
        car = ext["car_complaint_titles"]
        L.append(f"- Car-complaint titles whose labels exclude product_quality get a right top-1 category only {f3(car['non_product_quality_top1_inside_labels'])} of the time: "
                 "after-sales, delay and price titles are often read as product faults.")
    L += [
        "- `after_sales` vs `delay` vs `service_attitude` overlap in short messages; use `category2` and the evidence spans.",
        "- Calibration is measured on our own splits; on a very different channel, treat probabilities as rankings.",
        "- The model never sees escalation signals: levels come from the rules, which have their own figures in `bench/REPORT.md`.",
        "",
        f"Trained with: `{manifest.get('command', '?')}` (scikit-learn {manifest.get('sklearn_version', '?')}, numpy {manifest.get('numpy_version', '?')}, "
        f"Python {manifest.get('python_version', '?')}).",
    ]
    return "\n".join(L) + "\n"


def main(argv: list[str] | None = None) -> Path:
    args = argv if argv is not None else sys.argv[1:]
    model = Path(args[0]) if args else ROOT / "models" / "default"
    manifest = json.loads((model / "manifest.json").read_text(encoding="utf-8"))
    out = model / "MODEL_CARD.md"
    out.write_text(render(manifest), encoding="utf-8")
    print(f"wrote {out}")
    return out


if __name__ == "__main__":
    main()
