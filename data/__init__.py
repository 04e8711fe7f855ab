"""The store: schema, demo generator and the query layer (the only code that speaks SQL)."""
