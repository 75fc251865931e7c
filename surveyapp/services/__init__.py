"""The work behind the views: plain arguments in, models or plain data out, no request."""
