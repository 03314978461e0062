import { PostgreSqlContainer, type StartedPostgreSqlContainer } from '@testcontainers/postgresql';
import { runLabels } from '../../src/core/docker/labels.ts';
import { imageRef } from '../../src/core/images/catalog.ts';

export const POSTGRES_IMAGE = imageRef('postgres');

/**
 * A standalone PostgreSQL 15 from refstack's offline-built image, through @testcontainers/postgresql.
 * The image honours POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB like the official one.
 */
export function postgresContainer(): PostgreSqlContainer {
  return new PostgreSqlContainer(POSTGRES_IMAGE).withLabels(runLabels());
}

export type { StartedPostgreSqlContainer };
