"""Model providers behind one interface: a conversation in, one model turn out (see `contract`)."""
