"""The dynamic reference a connection reads the Momento API key through.

CDK renders a secret imported by name (``Secret.from_secret_name_v2``) as a *partial* ARN
(``...:secret:prod-secret``). Secrets Manager resolves a partial ARN by treating a final
hyphen and six characters as the random suffix of a full ARN, so a secret named
``prod-secret`` cannot be found that way ("partial ARN" in
https://docs.aws.amazon.com/secretsmanager/latest/userguide/troubleshoot.html): the deploy
fails. A dynamic reference takes a secret's name or its full ARN
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html),
so the reference uses the full ARN when it is known, else the name (same account only).
"""

from __future__ import annotations

from aws_cdk import SecretValue, Stack, Token
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from ._validation import Checker


def api_key_reference(
    scope: Construct, secret: secretsmanager.ISecret, field: str | None, check: Checker
) -> SecretValue:
    """``{{resolve:secretsmanager:<full ARN or name>:SecretString:<field>::}}``."""
    full_arn = secret.secret_full_arn
    if full_arn is not None:
        return SecretValue.secrets_manager(full_arn, json_field=field)
    account = _account_of(secret.secret_arn)
    here = Stack.of(scope).account
    if account is not None and not Token.is_unresolved(here) and account != here:
        check.fail(
            "api_key_secret",
            secret.node.path,
            f"is a secret of account {account} known only by a partial ARN; a dynamic "
            "reference finds a secret of another account only by its full ARN: import it "
            "with Secret.from_secret_complete_arn",
        )
    return SecretValue.secrets_manager(secret.secret_name, json_field=field)


def _account_of(arn: str) -> str | None:
    """The account of a literal secret ARN (None when it is a token there)."""
    parts = arn.split(":")
    if len(parts) < 7 or Token.is_unresolved(parts[4]):
        return None
    return parts[4]
