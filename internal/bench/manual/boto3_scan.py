"""The manual way with boto3: one sequential script that reads what
auditpack's S3 checks need for the first BUCKETS buckets, one call at a time.
Every call goes to ENDPOINT with fake credentials.

    python3 boto3_scan.py ENDPOINT BUCKETS

Prints "calls=N resources=N unexpected_errors=N" and exits 1 when a call
failed with an error other than the codes S3 returns for a setting that
is not configured.
"""

import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ABSENT = {
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchPublicAccessBlockConfiguration",
    "NoSuchBucketPolicy",
}


def main():
    endpoint, limit = sys.argv[1], int(sys.argv[2])
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(s3={"addressing_style": "path"}, retries={"mode": "standard"}),
    )
    calls = 0
    unexpected = 0

    def call(fn, **kwargs):
        nonlocal calls, unexpected
        calls += 1
        try:
            return fn(**kwargs)
        except ClientError as err:
            if err.response["Error"]["Code"] not in ABSENT:
                unexpected += 1
                print(err, file=sys.stderr)
            return None

    names = [b["Name"] for b in call(s3.list_buckets)["Buckets"]][:limit]
    for name in names:
        call(s3.get_bucket_location, Bucket=name)
        call(s3.get_bucket_encryption, Bucket=name)
        call(s3.get_bucket_versioning, Bucket=name)
        call(s3.get_public_access_block, Bucket=name)
        call(s3.get_bucket_policy, Bucket=name)
    print(f"calls={calls} resources={len(names)} unexpected_errors={unexpected}")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
