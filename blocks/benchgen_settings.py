"""A small custom block: benchgen's settings for flow runs, with the store and LLM key as linked blocks."""

from prefect.blocks.core import Block
from prefect.blocks.system import Secret
from prefect_aws import AwsCredentials, S3Bucket
from pydantic import Field, SecretStr

from benchgen.settings import Settings, get_settings


def aws_credentials_from(settings: Settings) -> AwsCredentials:
    """prefect-aws credentials (with the S3 endpoint, e.g. MinIO or moto) from benchgen's settings."""
    secret = settings.aws_secret_access_key
    return AwsCredentials(
        aws_access_key_id=settings.aws_access_key_id,
        aws_secret_access_key=secret.get_secret_value() if secret else None,
        region_name=settings.aws_region,
        aws_client_parameters={"endpoint_url": settings.s3_endpoint_url} if settings.s3_endpoint_url else {},
    )


class BenchgenSettings(Block):
    """What a deployment's flow runs need: where data and the database are, the store, the LLM."""

    _block_type_name = "Benchgen Settings"
    _block_type_slug = "benchgen-settings"
    _description = "Settings of benchgen flow runs: data folder, database, artifact store and LLM model."

    data_dir: str = Field(
        default="data", description="Working folder of flow runs (renders, SQLite, lessons)."
    )
    database_url: SecretStr | None = Field(
        default=None, description="SQLAlchemy URL; SQLite in data_dir if empty."
    )
    store_url: str | None = Field(default=None, description="file:///path or s3://bucket/prefix.")
    store: S3Bucket | None = Field(
        default=None, description="S3 bucket block with credentials for an s3:// store."
    )
    llm_model: str = Field(default="offline", description="'offline' or an LLM model as 'provider:name'.")
    llm_base_url: str | None = Field(
        default=None, description="OpenAI-compatible endpoint, if not the default."
    )
    llm_api_key: Secret | None = Field(default=None, description="Secret block holding the LLM API key.")

    def to_settings(self) -> Settings:
        """benchgen Settings from this block; `BENCHGEN_*` variables fill whatever the block leaves empty."""
        overrides: dict[str, object] = {"data_dir": self.data_dir, "llm_model": self.llm_model}
        if self.database_url is not None:
            overrides["database_url"] = self.database_url.get_secret_value()
        if self.store_url:
            overrides["store_url"] = self.store_url
        if self.llm_base_url:
            overrides["llm_base_url"] = self.llm_base_url
        if self.llm_api_key is not None:
            overrides["llm_api_key"] = self.llm_api_key.get()
        if self.store is not None:
            credentials = self.store.credentials
            secret = credentials.aws_secret_access_key
            overrides |= {
                "aws_access_key_id": credentials.aws_access_key_id,
                "aws_secret_access_key": secret.get_secret_value() if secret else None,
                "aws_region": credentials.region_name,
                "s3_endpoint_url": credentials.aws_client_parameters.endpoint_url,
            }
        return get_settings(**{k: v for k, v in overrides.items() if v is not None})
