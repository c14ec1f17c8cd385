"""The turn pipeline: receive, session-bind, turn, send; routing and idle policy; the session store."""
