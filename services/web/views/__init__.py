"""Page handlers, by area. Each module has its own route table; `bootstrap.ROUTE_TABLES` lists
them all."""
