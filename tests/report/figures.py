"""Known figures of three units for the LKj report's tests and the README's pictures: one
indicator lower-is-better, one with a target range, one with a target of 0, last year's
realisation where known, and DEP3's figures before and after the correction it is asked for
when the initial draft is discussed (step 6.4)."""
from __future__ import annotations

UNITS = ("DEP1", "DEP2", "DEP3")
UNIT_NAMES = {"DEP1": "Deputi Bidang Administrasi Aparatur",
              "DEP2": "Deputi Bidang Hukum dan Perundang-undangan",
              "DEP3": "Sekretariat Kementerian"}
SERVICE = "Meningkatnya kualitas layanan dukungan kepada Presiden"
ACCOUNTABILITY = "Meningkatnya akuntabilitas kinerja organisasi"


def _dep3(realisation: float) -> dict:
    return {
        "indicators": [
            {"code": "IKU-3.1", "name": "Rancangan regulasi yang diselesaikan tepat waktu",
             "objective": SERVICE, "polarity": "higher_is_better", "target": 12,
             "realisation": realisation, "last_year_realisation": 10,
             "unit_of_measure": "dokumen", "explanation": "Dua rancangan menunggu paraf."},
            {"code": "IKU-3.2", "name": "Keluhan layanan yang tidak tertangani",
             "objective": SERVICE, "polarity": "lower_is_better", "target": 0,
             "realisation": 0, "unit_of_measure": "keluhan",
             "explanation": "Semua keluhan tertangani."},
        ],
        "budget_ceiling": 3000000000,
        "budget_realisation": 2400000000,
    }


SUBMISSIONS = {
    "DEP1": {
        "indicators": [
            {"code": "IKU-1.1", "name": "Indeks kepuasan layanan", "objective": SERVICE,
             "polarity": "higher_is_better", "target": 3.5, "realisation": 3.6,
             "last_year_realisation": 3.4, "unit_of_measure": "indeks",
             "explanation": "Survei kepuasan dilakukan setiap triwulan."},
            {"code": "IKU-1.2", "name": "Temuan audit berulang", "objective": ACCOUNTABILITY,
             "polarity": "lower_is_better", "target": 10, "realisation": 8,
             "unit_of_measure": "temuan", "explanation": "Tindak lanjut tepat waktu."},
        ],
        "budget_ceiling": 12500000000,
        "budget_realisation": 11800000000.5,
    },
    "DEP2": {
        "indicators": [
            {"code": "IKU-2.1", "name": "Rekomendasi pengawasan yang ditindaklanjuti",
             "objective": ACCOUNTABILITY, "polarity": "higher_is_better",
             "target_range": {"low": 70, "high": 80}, "realisation": 88,
             "last_year_realisation": 75, "unit_of_measure": "persen"},
        ],
        "budget_ceiling": 2000000000,
        "budget_realisation": 1850000000,
    },
    "DEP3": _dep3(6),  # wrong: the discussion of the draft finds it
}
CORRECTED = {"DEP3": _dep3(11)}


def unit_data(corrected: bool = False) -> list[dict]:
    """The procedure's `unit_data` for these figures (what step 5 records per unit)."""
    chosen = {**SUBMISSIONS, **(CORRECTED if corrected else {})}
    return [{"unit": unit, **chosen[unit]} for unit in UNITS]
