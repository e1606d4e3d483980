#!/usr/bin/env bash
# The manual way with the AWS CLI: read, one call at a time, what
# auditpack's S3 and IAM checks need for the first BUCKETS buckets and the
# first USERS IAM users. Every call goes to ENDPOINT with fake credentials.
#
#   cli_loop.sh ENDPOINT BUCKETS USERS
#
# Prints "calls=N resources=N unexpected_errors=N" and exits 1 when a call
# failed with an error other than the error codes S3 and IAM return for
# a setting that is not configured.
set -uo pipefail
endpoint=$1
buckets=$2
users=$3

unset AWS_PROFILE AWS_SESSION_TOKEN
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER=

calls=0
unexpected=0
errfile=$(mktemp)
outfile=$(mktemp)
trap 'rm -f "$errfile" "$outfile"' EXIT

# call runs one AWS CLI command; a failure counts unless its message names
# one of the "not configured" error codes.
call() {
	calls=$((calls + 1))
	if ! aws --endpoint-url "$endpoint" "$@" 2>"$errfile"; then
		if ! grep -qE 'ServerSideEncryptionConfigurationNotFoundError|NoSuchPublicAccessBlockConfiguration|NoSuchBucketPolicy|NoSuchEntity' "$errfile"; then
			unexpected=$((unexpected + 1))
			cat "$errfile" >&2
		fi
	fi
}

call s3api list-buckets --query "Buckets[:$buckets].Name" --output text >"$outfile"
names=$(cat "$outfile")
for b in $names; do
	call s3api get-bucket-location --bucket "$b" >/dev/null
	call s3api get-bucket-encryption --bucket "$b" >/dev/null
	call s3api get-bucket-versioning --bucket "$b" >/dev/null
	call s3api get-public-access-block --bucket "$b" >/dev/null
	call s3api get-bucket-policy --bucket "$b" >/dev/null
done

call iam get-credential-report --query Content --output text >"$outfile"
console=$(base64 -d "$outfile" | awk -F, -v n="$users" 'NR > 1 && $1 != "<root_account>" { seen++; if (seen <= n && $4 == "true") print $1 }')
for u in $console; do
	call iam list-mfa-devices --user-name "$u" >/dev/null
done

echo "calls=$calls resources=$(($(wc -w <<<"$names") + users)) unexpected_errors=$unexpected"
[ "$unexpected" -eq 0 ]
