"""Read Vite's build manifest to find the hashed files of the dashboard bundle."""

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urljoin

from django.conf import settings

# Relative to a static root; Vite writes it with `build.manifest: "manifest.json"`.
MANIFEST_NAME = "dashboard_ui/manifest.json"
ENTRY = "src/main.jsx"
APP_STATIC = Path(__file__).resolve().parent / "static"


class BundleMissing(Exception):
    """The bundle has not been built (or its manifest is unreadable)."""


@dataclass(frozen=True)
class Bundle:
    """Static paths of the entry script, its CSS and its static imports."""

    script: str
    styles: tuple[str, ...]
    preloads: tuple[str, ...]

    def urls(self) -> dict:
        return {
            "script": asset_url(self.script),
            "styles": [asset_url(path) for path in self.styles],
            "preloads": [asset_url(path) for path in self.preloads],
        }


def asset_url(path: str) -> str:
    """URL of a file Vite built, under the name Vite gave it.

    Not `{% static %}`: ManifestStaticFilesStorage would hash the name a second
    time, but the chunks import each other by their Vite names, so the browser
    would load the entry module twice (once per name) and run the app twice.
    Vite's names already carry a content hash, and WhiteNoise serves them as
    immutable (WHITENOISE_IMMUTABLE_FILE_TEST).
    """
    return urljoin(settings.STATIC_URL, path)


def manifest_path() -> Path | None:
    """The app's own build output first, then a collected copy in STATIC_ROOT."""
    candidates = [APP_STATIC / MANIFEST_NAME]
    if getattr(settings, "STATIC_ROOT", None):
        candidates.append(Path(settings.STATIC_ROOT) / MANIFEST_NAME)
    return next((path for path in candidates if path.is_file()), None)


def load_bundle() -> Bundle:
    path = manifest_path()
    if path is None:
        raise BundleMissing(f"{MANIFEST_NAME} not found")
    # Keyed by mtime so a rebuild is picked up without a restart, and an unchanged
    # manifest is parsed once.
    return _parse(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _parse(path: str, mtime_ns: int) -> Bundle:
    try:
        manifest = json.loads(Path(path).read_text(encoding="utf-8"))
        entry = manifest[ENTRY]
    except (OSError, ValueError, KeyError) as exc:
        raise BundleMissing(f"{path} is unreadable or has no {ENTRY} entry: {exc}") from exc

    def static(file: str) -> str:
        return f"dashboard_ui/{file}"

    styles: list[str] = []
    preloads: list[str] = []
    seen: set[str] = set()

    def walk(key: str) -> None:
        """Collect CSS and module preloads of a chunk and of what it imports statically."""
        if key in seen or key not in manifest:
            return
        seen.add(key)
        chunk = manifest[key]
        for css in chunk.get("css", []):
            if static(css) not in styles:
                styles.append(static(css))
        for imported in chunk.get("imports", []):
            if imported in manifest:
                preloads.append(static(manifest[imported]["file"]))
            walk(imported)

    walk(ENTRY)
    return Bundle(script=static(entry["file"]), styles=tuple(styles), preloads=tuple(dict.fromkeys(preloads)))
