"""Narcowatch spaCy components, registered as factories with prefixed names.

Every component reads ``doc.text`` (the original text) and stores its findings in ``doc._.nw_*``
extension attributes; offsets are always character offsets into ``doc.text``. Lexicons and tables
load in ``initialize()`` from ``data_dir`` (empty: the package's ``nlp/data``). The pipeline itself
is defined in ``nlp/pipeline.cfg``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, cast

import spacy
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.util import minibatch
from spacy.vocab import Vocab

from nlp import langid
from nlp.category import classify
from nlp.contacts import Contact, find_contacts
from nlp.drugs import DATA_DIR, DrugLexicon, find_drugs
from nlp.normalize import Normalized, normalize
from nlp.offers import bind_offers
from nlp.places import find_delivery, find_places, find_shipping
from nlp.precursors import find_precursors
from nlp.prices import find_prices
from nlp.quantities import find_quantities

logger = logging.getLogger(__name__)

EXTENSIONS: dict[str, Any] = {
    "nw_text": None, "nw_lang_hint": None, "nw_norm": None, "nw_lang": None, "nw_drugs": None, "nw_offers": None,
    "nw_quantities": None, "nw_prices": None, "nw_contacts": None, "nw_places": None, "nw_ships_from": None,
    "nw_ships_to": None, "nw_delivery": None, "nw_precursors": None, "nw_category": None,
    "nw_category_reasons": None,
}
ANALYSIS_KEY = "narcowatch"  # doc.user_data key of a doc's Analysis


class Analysis:
    """What the components found in one doc: one slot per ``doc._.nw_*`` attribute (names without ``nw_``).

    Kept as one object in ``doc.user_data[ANALYSIS_KEY]``; the ``doc._.nw_*`` extensions are getters and
    setters on it. Components use the object directly: every ``doc._`` access builds a new Underscore
    object and looks the name up, which cost ~90 us per 100-word post over the eight components.
    """

    __slots__ = ("text", "lang_hint", "norm", "lang", "drugs", "offers", "quantities", "prices", "contacts",
                 "places", "ships_from", "ships_to", "delivery", "precursors", "category", "category_reasons")
    text: str | None
    lang_hint: str | None
    norm: Normalized | None
    lang: str | None
    drugs: list[dict[str, Any]] | None
    offers: list[dict[str, Any]] | None
    quantities: list[Any] | None
    prices: list[Any] | None
    contacts: list[Contact] | None
    places: list[dict[str, Any]] | None
    ships_from: list[str] | None
    ships_to: list[str] | None
    delivery: list[str] | None
    precursors: list[dict[str, Any]] | None
    category: str | None
    category_reasons: list[str] | None

    def __init__(self) -> None:
        for name in self.__slots__:
            setattr(self, name, None)


def analysis(doc: Doc) -> Analysis:
    """The :class:`Analysis` of ``doc``, created empty on first use."""
    user_data = doc.user_data
    found = user_data.get(ANALYSIS_KEY)
    if found is None:
        found = user_data[ANALYSIS_KEY] = Analysis()
    return found  # type: ignore[no-any-return]


def _extension(slot: str) -> tuple[Any, Any]:
    def getter(doc: Doc) -> Any:
        found = doc.user_data.get(ANALYSIS_KEY)
        return None if found is None else getattr(found, slot)

    def setter(doc: Doc, value: Any) -> None:
        setattr(analysis(doc), slot, value)

    return getter, setter


for _name in EXTENSIONS:
    if not Doc.has_extension(_name):
        _get, _set = _extension(_name[3:])
        Doc.set_extension(_name, getter=_get, setter=_set)

def whitespace_tokenizer(vocab: Vocab) -> Tokenizer:
    """spaCy's own tokenizer with no rules: it splits on whitespace only, in linear time.

    spaCy's rule-based tokenizer re-scans prefixes and suffixes of a token once per character it
    strips, which is quadratic on long unbroken strings (100,000 emoji in a row did not finish in two
    minutes). Our components match on ``doc.text`` with their own bounded regexes, so whitespace tokens
    are all the pipeline needs; with no prefix, suffix, infix or special-case rules the Cython tokenizer
    does just that (and reproduces ``doc.text`` exactly), about 40 % faster than building the Doc from a
    Python word list.
    """
    return Tokenizer(vocab)


@spacy.registry.tokenizers("narcowatch_whitespace_tokenizer.v1")
def make_whitespace_tokenizer() -> Any:
    def create(nlp: Language) -> Tokenizer:
        return whitespace_tokenizer(nlp.vocab)

    return create


_LEXICONS: dict[str, DrugLexicon] = {}


def shared_lexicon(data_dir: str = "") -> DrugLexicon:
    """The drug lexicon of ``data_dir``, loaded once per process and shared by the components."""
    lex = _LEXICONS.get(data_dir)
    if lex is None:
        lex = DrugLexicon.from_dir(Path(data_dir) if data_dir else DATA_DIR)
        _LEXICONS[data_dir] = lex
    return lex


def text_of(doc: Doc) -> str:
    """``doc.text``, computed once: spaCy rebuilds it from the tokens on every access."""
    return _text(doc, analysis(doc))


def _text(doc: Doc, found: Analysis) -> str:
    """:func:`text_of` with the doc's :class:`Analysis` already in hand."""
    text: str | None = found.text
    if text is None:
        text = found.text = doc.text
    return text


class _Base:
    def __init__(self, nlp: Language, name: str, data_dir: str = "") -> None:
        self.name = name
        self.data_dir = data_dir

    def initialize(self, get_examples: Any = None, nlp: Language | None = None) -> None:
        """Load data files; spaCy calls this from ``nlp.initialize()``."""

    def __call__(self, doc: Doc) -> Doc:
        self.process(doc, analysis(doc))
        return doc

    def process(self, doc: Doc, found: Analysis) -> None:
        raise NotImplementedError

    def pipe(self, docs: Iterable[Doc], batch_size: int = 64) -> Iterator[Doc]:
        """``nlp.pipe`` calls this: each batch of docs goes through this component before the next one.

        Without it spaCy passes one doc at a time through all eight components, and the code and tables
        of each leave the CPU caches before the next doc: running each component over a batch was ~20 %
        faster per post. Only ``batch_size`` docs are held per component.
        """
        for batch in minibatch(docs, size=batch_size):
            process = self.process
            for doc in batch:
                process(doc, analysis(doc))
            yield from batch


class _WithLexicon(_Base):
    """A component that reads the drug lexicon of its ``data_dir`` (shared by all such components)."""

    def __init__(self, nlp: Language, name: str, data_dir: str = "") -> None:
        super().__init__(nlp, name, data_dir)
        self._lexicon: DrugLexicon | None = None

    def initialize(self, get_examples: Any = None, nlp: Language | None = None) -> None:
        self._lexicon = shared_lexicon(self.data_dir)

    @property
    def lexicon(self) -> DrugLexicon:
        """The lexicon, loaded on first use when ``initialize()`` was not called."""
        if self._lexicon is None:
            self.initialize()
        assert self._lexicon is not None
        return self._lexicon


class Normalizer(_WithLexicon):
    """``doc._.nw_norm``: the :class:`~nlp.normalize.Normalized` form of ``doc.text``."""

    def process(self, doc: Doc, found: Analysis) -> None:
        lexicon = self.lexicon
        found.norm = normalize(_text(doc, found), lexicon.knows, lexicon.prefixes)


class LangId(_Base):
    """``doc._.nw_lang``: the caller's hint when given, else :func:`nlp.langid.detect`."""

    def process(self, doc: Doc, found: Analysis) -> None:
        found.lang = found.lang_hint or langid.detect(_text(doc, found))


class Drugs(_WithLexicon):
    """``doc._.nw_drugs``: drug mentions (substance, class, nps, form, text, start, end)."""

    def process(self, doc: Doc, found: Analysis) -> None:
        lexicon = self.lexicon
        text = _text(doc, found)
        norm: Normalized = found.norm or normalize(text, lexicon.knows)
        found.drugs = find_drugs(text, norm, lexicon, found.lang or "")


class Offers(_Base):
    """``doc._.nw_offers``: drug + grams + price offers; also ``nw_quantities`` and ``nw_prices``."""

    def process(self, doc: Doc, found: Analysis) -> None:
        norm: Normalized = found.norm or normalize(_text(doc, found))
        quantities = find_quantities(norm.text)
        prices = find_prices(norm.text, found.lang or "")
        if norm.index is not None:  # normalisation moved characters: offsets back into the original text
            quantities = [q.__class__(q.value, q.unit, q.grams, *norm.span(q.start, q.end)) for q in quantities]
            prices = [p.__class__(p.amount, p.currency, *norm.span(p.start, p.end)) for p in prices]
        found.quantities = quantities
        found.prices = prices
        found.offers = bind_offers(_text(doc, found), found.drugs or [], quantities, prices)


class Contacts(_Base):
    """``doc._.nw_contacts``: validated contacts and wallets from :mod:`nlp.contacts`."""

    def process(self, doc: Doc, found: Analysis) -> None:
        found.contacts = find_contacts(_text(doc, found))


class Places(_Base):
    """``doc._.nw_places``, ``nw_ships_from``, ``nw_ships_to`` and ``nw_delivery`` from :mod:`nlp.places`."""

    def process(self, doc: Doc, found: Analysis) -> None:
        lang = found.lang or ""
        text = _text(doc, found)
        found.places = find_places(text, lang)
        ships_from, ships_to = find_shipping(text, lang)
        found.ships_from = list(ships_from)
        found.ships_to = list(ships_to)
        found.delivery = list(find_delivery(text))


class Precursors(_Base):
    """``doc._.nw_precursors``: scheduled precursor chemicals from :mod:`nlp.precursors`."""

    def process(self, doc: Doc, found: Analysis) -> None:
        found.precursors = find_precursors(_text(doc, found), found.norm)


class Category(_Base):
    """``doc._.nw_category`` and ``nw_category_reasons`` from :func:`nlp.category.classify`."""

    def process(self, doc: Doc, found: Analysis) -> None:
        category, reasons = classify(_text(doc, found), found.lang or "", found.drugs or [], found.offers or [],
                                     cast("list[dict[Any, Any]]", found.contacts or []), found.precursors or [],
                                     found.delivery)
        found.category = category
        found.category_reasons = list(reasons)


_DEFAULT = {"data_dir": ""}
FACTORIES: dict[str, type[_Base]] = {
    "narcowatch_normalizer": Normalizer, "narcowatch_langid": LangId, "narcowatch_drugs": Drugs,
    "narcowatch_offers": Offers, "narcowatch_contacts": Contacts, "narcowatch_places": Places,
    "narcowatch_precursors": Precursors, "narcowatch_category": Category,
}


def _register(factory: str, cls: type[_Base]) -> None:
    def make(nlp: Language, name: str, data_dir: str) -> _Base:
        return cls(nlp, name, data_dir)

    make.__doc__ = cls.__doc__
    Language.factory(factory, default_config=_DEFAULT, func=make)


for _factory, _cls in FACTORIES.items():
    _register(_factory, _cls)
