"""The named materials a scenario may use: density for masses, friction for contacts, colour for renders."""

from pydantic import BaseModel, ConfigDict, Field


class Material(BaseModel):
    """Physical and visual properties of one named material."""

    model_config = ConfigDict(frozen=True)

    name: str
    density_kg_m3: float = Field(gt=0, description="Mass density in kg/m^3; payload mass = volume x density.")
    friction: float = Field(gt=0, description="MuJoCo sliding friction coefficient.")
    rgba: tuple[float, float, float, float] = Field(description="Render colour, components in [0, 1].")
    price_per_kg: float = Field(gt=0, description="Price of solution parts made of it, per kg (cost units).")


MATERIALS: dict[str, Material] = {
    m.name: m
    for m in (
        Material(name="abs", density_kg_m3=1040, friction=0.5, rgba=(0.85, 0.85, 0.80, 1), price_per_kg=2.5),
        Material(name="pla", density_kg_m3=1240, friction=0.5, rgba=(0.95, 0.75, 0.35, 1), price_per_kg=3.0),
        Material(
            name="aluminium", density_kg_m3=2700, friction=0.6, rgba=(0.70, 0.72, 0.76, 1), price_per_kg=4.0
        ),
        Material(
            name="steel", density_kg_m3=7850, friction=0.6, rgba=(0.45, 0.47, 0.52, 1), price_per_kg=1.5
        ),
        Material(name="wood", density_kg_m3=700, friction=0.7, rgba=(0.65, 0.48, 0.30, 1), price_per_kg=1.2),
        Material(
            name="rubber", density_kg_m3=1100, friction=1.0, rgba=(0.15, 0.15, 0.17, 1), price_per_kg=3.5
        ),
        Material(
            name="glass", density_kg_m3=2500, friction=0.4, rgba=(0.60, 0.80, 0.90, 1), price_per_kg=2.0
        ),
    )
}


def material_names() -> list[str]:
    """Known material names, sorted, for error messages and prompts."""
    return sorted(MATERIALS)
