"""Use cases: what the Lambdas (and the API) do, over the domain and the data-access layer."""
