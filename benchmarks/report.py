"""One table of figures, each beside its floor or baseline from the same run, and RESULTS.md."""

from dataclasses import dataclass, field
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


@dataclass
class Figure:
    target: str  # "1", "2", ...: the numbering
    name: str
    measured: str
    floor: str = ""  # the floor or baseline measured in the same run, with its value
    ratio: str = ""
    goal: str = ""  # the target, e.g. "<= 10 ms"
    met: bool | None = None  # None: information, no target

    @property
    def verdict(self) -> str:
        return "" if self.met is None else ("met" if self.met else "MISSED")


@dataclass
class Report:
    mode: str
    machine: dict[str, str] = field(default_factory=dict)
    sizes: dict[str, str] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    load: list[str] = field(default_factory=list)
    duration: float = 0.0

    def add(self, *figures: Figure) -> None:
        self.figures.extend(figures)
        for figure in figures:
            print(f"  {figure.name}: {figure.measured}  {figure.verdict}", flush=True)

    def note(self, text: str) -> None:
        self.notes.append(text)

    # --- Output ---------------------------------------------------------------------------

    COLUMNS = ("#", "figure", "measured", "floor / baseline (same run)", "ratio", "target", "")

    def _rows(self) -> list[tuple[str, ...]]:
        return [
            (f.target, f.name, f.measured, f.floor, f.ratio, f.goal, f.verdict)
            for f in self.figures
        ]

    def table(self) -> str:
        rows = [self.COLUMNS, *self._rows()]
        widths = [max(len(row[i]) for row in rows) for i in range(len(self.COLUMNS))]
        lines = []
        for number, row in enumerate(rows):
            cells = zip(row, widths, strict=True)
            lines.append("  ".join(cell.ljust(width) for cell, width in cells))
            if number == 0:
                lines.append("  ".join("-" * width for width in widths))
        return "\n".join(line.rstrip() for line in lines)

    def markdown(self, history: str) -> str:
        def cell(text: str) -> str:
            return text.replace("|", "\\|")

        missed = [f for f in self.figures if f.met is False]
        out = [
            "# Benchmark results",
            "",
            f"Written by `python -m benchmarks{' --quick' if self.mode == 'quick' else ''}` "
            f"({self.mode} run, {self.duration / 60:.1f} min). Every floor and baseline was "
            "measured in the same run as its figure. Re-run to refresh; the history of what "
            "was tried is at the end.",
            "",
            "## Machine",
            "",
            *(f"- **{key}**: {value}" for key, value in self.machine.items()),
            f"- **load average** (1/5/15 min) at start and end: {' → '.join(self.load)}",
            "",
            "## Data",
            "",
            *(f"- **{key}**: {value}" for key, value in self.sizes.items()),
            "",
            "## Figures",
            "",
            "| " + " | ".join(self.COLUMNS[:-1]) + " | result |",
            "|" + "---|" * len(self.COLUMNS),
            *("| " + " | ".join(cell(c) for c in row) + " |" for row in self._rows()),
            "",
            f"**{len(missed)} target(s) missed**"
            + (": " + "; ".join(f"{f.target}. {f.name}" for f in missed) if missed else ".")
            + "",
            "",
            "## How each figure is measured",
            "",
            *(f"- {note}" for note in self.notes),
            "",
            history.strip(),
            "",
        ]
        return "\n".join(out)

    def write(self, history: str) -> Path:
        RESULTS.write_text(self.markdown(history), encoding="utf-8")
        return RESULTS


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def secs(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds >= 1 else ms(seconds)


def times(ratio: float) -> str:
    return f"{ratio:,.1f}×" if ratio < 100 else f"{ratio:,.0f}×"
