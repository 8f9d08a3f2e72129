"""How the OpenAPI schema describes the site's own authentication (drf-spectacular)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """``Authorization: Token <key>`` with a key from POST /api/v1/auth/token/."""

    target_class = "core.tokens.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Token <key>：POST /api/v1/auth/token/ 取得，30分钟无操作或到期后失效",
        }
