"""Prints graphql-core's standard introspection query with every option on, as Python clients
(gql, ariadne-codegen, strawberry's tooling) send it. The tests keep its output as a fixture:
    python3 tools/graphql-http-audit/introspection.py > tests/tests/api/clients/graphql-core-introspection.graphql
"""

import sys

from graphql import get_introspection_query

sys.stdout.write(
    get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
        input_object_one_of=True,
    )
)
