"""The corpus store: many articles' records in one DuckDB file, with actors merged across articles.

    onrecord ingest SOURCE... --store corpus.duckdb     # onrecord.store.ingest
    onrecord ingest SOURCE... --engine ray --store DIR  # onrecord.store.ray_engine: Parquet tables (parquet_store)
    onrecord said / actors / claims / sql               # onrecord.store.queries
    onrecord export --parquet DIR | --jsonl DIR | --claimreview FILE

The tables are described in onrecord/store/README.md and defined in ``onrecord.store.schema``.
"""
