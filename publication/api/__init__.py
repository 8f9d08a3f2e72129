"""REST API of publication: the bureaus' (/api/v1/publication/) and the public's
(/api/v1/public/, anonymous, throttled per address). Thin: validate, call a selector or a
service, present. Public answers carry no contact data and no internal id."""
