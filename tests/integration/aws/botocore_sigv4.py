"""Signs each case of tests/data/aws/sigv4_cases.json with botocore's own
SigV4 signers (SigV4Auth, S3SigV4Auth) at the case file's fixed time and
prints a JSON list of {"name", "authorization", "content_sha256"}.
Usage: botocore_sigv4.py CASES_JSON"""
import datetime
import json
import sys

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    now = datetime.datetime.fromtimestamp(spec["unix_time"], tz=datetime.timezone.utc).replace(tzinfo=None)
    botocore.auth.get_current_datetime = lambda *args, **kwargs: now
    out = []
    for case in spec["cases"]:
        token = spec["session_token"] if case["session_token"] else None
        credentials = Credentials(spec["access_key_id"], spec["secret_access_key"], token)
        request = AWSRequest(method=case["method"], url=case["url"], data=case["body"].encode("utf-8"))
        for name, value in case["headers"]:
            request.headers[name] = value
        if case["s3"]:
            request.context["client_config"] = Config(s3={"payload_signing_enabled": not case["unsigned_payload"]})
            signer = botocore.auth.S3SigV4Auth(credentials, case["service"], case["region"])
        else:
            signer = botocore.auth.SigV4Auth(credentials, case["service"], case["region"])
        signer.add_auth(request)
        out.append({
            "name": case["name"],
            "authorization": request.headers["Authorization"],
            "content_sha256": request.headers.get("X-Amz-Content-SHA256", ""),
        })
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
