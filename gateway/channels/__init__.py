"""Channel adapters: each turns a request into an Activity and the turn's replies into its response."""
