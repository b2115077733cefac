"""Getting data into Loyalist: the append-only raw event log and the file loaders that feed it."""
