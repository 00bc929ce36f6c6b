"""Register benchgen's blocks from the current settings in one command: `python -m blocks.register`.

Saves (overwriting) `benchgen-aws` (AwsCredentials) and `benchgen-store` (S3Bucket) when the store is
on S3, `benchgen-llm-key` (Secret) when an LLM key is set, and `benchgen` (BenchgenSettings) that
links them. Deployments pass `settings_block: benchgen` to the flow.
"""

import argparse
from urllib.parse import urlsplit

from prefect.blocks.system import Secret
from prefect_aws import S3Bucket

from benchgen.settings import Settings, get_settings
from blocks.benchgen_settings import BenchgenSettings, aws_credentials_from

AWS_BLOCK = "benchgen-aws"
STORE_BLOCK = "benchgen-store"
LLM_KEY_BLOCK = "benchgen-llm-key"
SETTINGS_BLOCK = "benchgen"


def register(settings: Settings, name: str = SETTINGS_BLOCK) -> list[str]:
    """Save the blocks; return their slugs ('type/name') in the order they were saved."""
    saved = []
    store = None
    store_url = settings.resolved_store_url
    parts = urlsplit(store_url)
    if parts.scheme == "s3":
        credentials = aws_credentials_from(settings)
        credentials.save(AWS_BLOCK, overwrite=True)
        saved.append(f"aws-credentials/{AWS_BLOCK}")
        store = S3Bucket(
            bucket_name=parts.netloc, bucket_folder=parts.path.strip("/"), credentials=credentials
        )
        store.save(STORE_BLOCK, overwrite=True)
        saved.append(f"s3-bucket/{STORE_BLOCK}")
    llm_key = None
    if settings.llm_api_key is not None:
        llm_key = Secret(value=settings.llm_api_key.get_secret_value())
        llm_key.save(LLM_KEY_BLOCK, overwrite=True)
        saved.append(f"secret/{LLM_KEY_BLOCK}")
    block = BenchgenSettings(
        data_dir=str(settings.resolved_data_dir),
        database_url=settings.resolved_database_url,
        store_url=store_url,
        store=store,
        llm_model=settings.llm_model,
        llm_base_url=settings.llm_base_url,
        llm_api_key=llm_key,
    )
    block.save(name, overwrite=True)
    saved.append(f"benchgen-settings/{name}")
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m blocks.register", description=__doc__.splitlines()[0])
    parser.add_argument("--name", default=SETTINGS_BLOCK, help="name of the BenchgenSettings block")
    args = parser.parse_args()
    for slug in register(get_settings(), args.name):
        print(f"saved block {slug}")


if __name__ == "__main__":
    main()
