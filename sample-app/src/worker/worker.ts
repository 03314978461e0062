import { createServer, type Server } from 'node:http';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { AmqpConnection, DEAD_LETTER_QUEUE, declareTopology, publishConfirmed, QUEUE, retryQueueName } from '../shared/amqp.ts';
import { retryDelaySet } from '../shared/budgets.ts';
import type { Config } from '../shared/config.ts';
import { Db } from '../shared/db.ts';
import { Deadline } from '../shared/deadline.ts';
import { closeServer, listen } from '../shared/lifecycle.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import { createMetrics } from '../shared/metrics.ts';
import { sleep } from '../shared/retry.ts';
import { dedupeKey, indexEvent, parseEvent, processEvent } from './process.ts';
import { retryDecision } from './retry-policy.ts';

export interface RunningWorker {
  server: Server;
  log: Logger;
  stop(): Promise<void>;
}

const PREFETCH = 10;
/** ms of the shutdown timeout kept for closing the broker connection, the metrics server and the pool (1.5 + 0.5 + 1 s). */
const CLOSE_RESERVE_MS = 3_000;

/**
 * Consumes events.process with manual acks; each event is processed once per event id (the dedupe
 * record commits with its effect). A failed attempt is acked only after the message was
 * re-published (confirmed) to the retry queue of its delay (retry-policy.ts: transient errors are
 * retried across the DB failover promise, unexpected ones a few times); a permanent failure, or
 * the end of the schedule, rejects it without requeue and the queue dead-letters it to the DLQ.
 */
export async function startWorker(config: Config): Promise<RunningWorker> {
  const t = config.thresholds;
  const b = config.budgets;
  const log = createLogger('sample-worker', config.logFormat, config.logLevel);
  const metrics = createMetrics('sample-worker');
  const db = new Db({
    writeUrl: config.databaseWriteUrl,
    readUrl: config.databaseWriteUrl,
    poolSize: Math.min(config.dbPoolSize, PREFETCH),
    statementTimeoutMs: b.worker.statementTimeoutMs,
    connectTimeoutMs: b.worker.connectTimeoutMs,
    attempts: 3,
    slowQuerySeconds: t.slowQuerySeconds,
    metrics,
    log,
  });
  const inFlight = new Set<Promise<void>>();
  let stopping = false;
  let consumerTag: string | undefined;

  const handle = async (channel: ConfirmChannel, message: ConsumeMessage): Promise<void> => {
    const attempt = Number(message.properties.headers?.['x-attempt'] ?? 1);
    const id = String(message.properties.messageId ?? `delivery-${message.fields.deliveryTag}`);
    try {
      const event = parseEvent(message.content);
      const result = await processEvent(event, dedupeKey(event, message.properties.messageId), db, metrics, log.child({ messageId: id, attempt }));
      if (config.elasticsearchUrl && result === 'processed') await indexEvent(config.elasticsearchUrl, id, event, metrics, log);
      channel.ack(message);
      metrics.queueConsumed.inc({ queue: QUEUE });
    } catch (error) {
      metrics.queueFailed.inc({ queue: QUEUE, stage: 'process' });
      const decision = retryDecision(error, attempt, b);
      if (decision.action === 'dead-letter') {
        log.error({ err: error, messageId: id, attempt, errorClass: decision.errorClass, reason: decision.reason }, 'dead-lettering message');
        channel.nack(message, false, false);
        metrics.queueFailed.inc({ queue: QUEUE, stage: 'dead_letter' });
        return;
      }
      log.warn({ err: error, messageId: id, attempt, errorClass: decision.errorClass, reason: decision.reason, delayMs: decision.delayMs }, 'processing failed, retrying later');
      const retryQueue = retryQueueName(decision.delayMs);
      try {
        await publishConfirmed(
          channel,
          '',
          retryQueue,
          message.content,
          { messageId: id, headers: { ...message.properties.headers, 'x-attempt': attempt + 1, 'x-last-error': decision.reason } },
          b.queue.confirmTimeoutMs,
          () => amqp.blocked,
        );
        metrics.queuePublished.inc({ queue: retryQueue });
        metrics.retriesScheduled.inc({ class: decision.errorClass });
        channel.ack(message);
      } catch (publishError) {
        log.warn({ err: publishError, messageId: id }, 'could not schedule the retry; requeueing');
        channel.nack(message, false, true);
      }
    }
  };

  const amqp = new AmqpConnection({
    urls: config.amqpUrls,
    log,
    name: 'sample-worker',
    reconnectCapMs: b.queue.reconnectCapMs,
    onChannel: async (channel) => {
      await declareTopology(channel, retryDelaySet(b));
      await channel.prefetch(PREFETCH);
      const reply = await channel.consume(QUEUE, (message) => {
        if (!message || stopping) return;
        const work = handle(channel, message).catch((error: unknown) => log.error({ err: error }, 'handler crashed'));
        inFlight.add(work);
        void work.finally(() => inFlight.delete(work));
      });
      consumerTag = reply.consumerTag;
    },
  });
  void amqp.start();

  const depth = setInterval(() => void sampleDepth(), 5_000);
  depth.unref();
  const janitor = setInterval(() => void purgeProcessed(), 10 * 60_000);
  janitor.unref();
  /** Dedupe records older than the retention: a redelivery that late is not expected (RabbitMQ redelivers within minutes). */
  async function purgeProcessed(): Promise<void> {
    await db
      .query(
        'write',
        'processed_events_purge',
        `DELETE FROM processed_events WHERE event_id IN (SELECT event_id FROM processed_events WHERE processed_at < now() - $1 * interval '1 second' LIMIT 1000)`,
        [t.processedEventRetentionSeconds],
        { deadline: Deadline.after(5_000), attempts: 1 },
      )
      .catch((error: unknown) => log.warn({ err: error }, 'processed_events purge failed'));
  }
  async function sampleDepth(): Promise<void> {
    db.sampleConnections();
    const channel = amqp.channel;
    if (!channel) return;
    for (const queue of [QUEUE, DEAD_LETTER_QUEUE]) {
      try {
        metrics.queueDepth.set({ queue }, (await channel.checkQueue(queue)).messageCount);
      } catch (error) {
        log.warn({ err: error, queue }, 'queue depth not sampled');
      }
    }
  }

  const server = createServer(async (req, res) => {
    if (req.url === '/metrics') {
      await sampleDepth();
      res.writeHead(200, { 'Content-Type': metrics.register.contentType }).end(await metrics.register.metrics());
    } else if (req.url === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ok"}');
    } else if (req.url === '/readyz') {
      const ready = amqp.connected && !stopping;
      res.writeHead(ready ? 200 : 503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status: ready ? 'ready' : 'not_ready', checks: { rabbitmq: amqp.connected ? 'up' : 'down', shutting_down: stopping } }));
    } else {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"not_found"}');
    }
  });
  await listen(server, config.metricsPort);
  log.info({ port: config.metricsPort }, 'sample-worker listening (metrics)');

  return {
    server,
    log,
    async stop() {
      stopping = true;
      clearInterval(depth);
      clearInterval(janitor);
      // Every step is bounded so that the whole stop fits the shutdown timeout: a step that hangs (a
      // half-open broker socket, a stuck query) is named in the log and the next one runs. Nothing is lost
      // by it: a message not acked returns to the queue when the connection goes, and processing is deduplicated.
      const drainUntil = performance.now() + t.shutdownTimeoutMs - CLOSE_RESERVE_MS;
      const bounded = async (step: string, ms: number, work: () => Promise<unknown>) => {
        const started = performance.now();
        const done = await Promise.race([work().then(() => true, () => true), sleep(Math.max(0, ms)).then(() => false)]);
        if (!done) log.warn({ step, waitedMs: Math.round(performance.now() - started) }, 'shutdown step did not finish in time; going on');
      };
      const channel = amqp.channel;
      if (channel && consumerTag) await bounded('cancel the consumer', 1_000, () => channel.cancel(consumerTag!));
      // Messages being processed finish and are acked; unacked prefetched ones return to the queue on close.
      while (inFlight.size && performance.now() < drainUntil) await Promise.race([Promise.allSettled([...inFlight]), sleep(100)]);
      if (inFlight.size) log.warn({ pending: inFlight.size }, 'drain deadline reached: their messages return to the queue unacked');
      await bounded('close the broker connection', 1_500, () => amqp.close());
      await bounded('close the metrics server', 500, () => closeServer(server));
      await bounded('close the database pool', 1_000, () => db.close());
    },
  };
}
