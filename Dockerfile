# roadie in a container, from the distribution that scripts/dist builds (it carries its own Java
# runtime: the image needs no JDK). Build it next to the tarball:
#   scripts/dist
#   docker build --build-arg VERSION=0.1.0 -f Dockerfile -t roadie:0.1.0 roadie-cli/target
# roadie-cli's DistTest checks these steps against the tarball (ADD, ln, ENTRYPOINT).
FROM debian:bookworm-slim
ARG VERSION
# The PostgreSQL client programs (pg_dump, pg_restore, pg_basebackup) for PostgreSQL targets, and
# the CA certificates for TLS to S3 and servers; bash and coreutils (the launcher) are in the base.
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# ADD unpacks the tarball: /opt/roadie-VERSION/{bin,lib,runtime}.
ADD roadie-${VERSION}-linux-x64.tar.gz /opt/
RUN ln -s /opt/roadie-${VERSION} /opt/roadie \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/roadie --create-home roadie
ENV PATH=/opt/roadie/bin:$PATH
USER 10001
WORKDIR /var/lib/roadie
ENTRYPOINT ["/opt/roadie/bin/roadie"]
CMD ["--help"]
