"""The processes that extract: a fork server that loads the extractor once, the workers it
forks, the frames on their sockets, and the pool the crawl feeds them through.
"""
