/**
 * `nilm replay --mqtt`: publishes readings as JSON batches at QoS 1 on the building's topic and
 * waits for each acknowledgement; a broker that keeps closing the connection (it refuses the
 * topic) stops the replay with a hint.
 */
import type { MqttClient } from 'mqtt';
import type { StampedReading } from '@nilm/ml';
import { MAX_READINGS_PER_MESSAGE } from '@nilm/contracts';
import { invalid, note } from './replay.shared.js';
import { chunks, type Sink } from './replay.sink.js';

/** How long past --max-seconds a published message may wait for its acknowledgement. */
const ACK_GRACE_MS = 5000;

/** Publishes JSON batches (QoS 1) on the building's topic and waits for each PUBACK. */
export class MqttSink implements Sink {
  private closes = 0;

  private constructor(
    private readonly client: MqttClient,
    readonly target: string,
    private readonly topic: string,
    private readonly token: string | undefined,
  ) {
    client.on('close', () => this.closes++);
    client.on('error', (e) => note(`MQTT: ${e.message}`));
  }

  static async open(o: {
    url: string;
    topic: string;
    token?: string;
    username?: string;
    password?: string;
  }): Promise<MqttSink> {
    // Loaded here, not at the top, so that other commands do not pay for the MQTT client.
    const { default: mqtt } = await import('mqtt');
    let client: MqttClient;
    try {
      client = await mqtt.connectAsync(o.url, {
        username: o.username,
        password: o.password,
        clientId: `nilm-replay-${Math.random().toString(16).slice(2, 10)}`,
        clean: true,
        connectTimeout: 10_000,
        reconnectPeriod: 1000,
      });
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      const code = (e as { code?: unknown }).code;
      throw invalid(
        typeof code === 'number'
          ? `the MQTT broker at ${o.url} refused the connection (${reason}); check --username (the building id) and --password (its device token)`
          : `cannot connect to the MQTT broker at ${o.url}: ${reason}`,
      );
    }
    return new MqttSink(client, `${o.url} ${o.topic}`, o.topic, o.token);
  }

  async send(readings: StampedReading[], deadline: number): Promise<number> {
    let sent = 0;
    for (const chunk of chunks(readings, MAX_READINGS_PER_MESSAGE)) {
      // The token goes on the first reading only: one per message is enough and keeps a full
      // batch well under the server's payload limit.
      const payload = JSON.stringify(
        chunk.map((r, i) => ({
          ts: r.ts,
          power_w: r.powerW,
          ...(i === 0 && this.token ? { token: this.token } : {}),
        })),
      );
      if (!(await this.publish(payload, deadline))) break;
      sent += chunk.length;
    }
    return sent;
  }

  /**
   * True once the broker acknowledged the message. The deadline stops waiting only after a grace
   * period, so that a message already on the wire is not reported unsent when its ack is late.
   */
  private async publish(payload: string, deadline: number): Promise<boolean> {
    const closesBefore = this.closes;
    const acked = this.client.publishAsync(this.topic, payload, { qos: 1 });
    // The client resends on reconnect by itself; a broker that refuses the topic closes the
    // connection every time, which would otherwise loop for ever.
    acked.catch(() => undefined);
    const giveUpAt = deadline + ACK_GRACE_MS;
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        acked.then(() => 'acked' as const),
        new Promise<'waiting'>((resolve) => {
          timer = setTimeout(() => resolve('waiting'), Math.min(1000, giveUpAt - Date.now()));
        }),
      ]);
      clearTimeout(timer);
      if (outcome === 'acked') return true;
      if (this.closes - closesBefore >= 3) {
        throw invalid(
          `the MQTT broker closed the connection ${this.closes - closesBefore} times while publishing to ${this.topic}: it does not let this client publish there; check --building, --topic and --username`,
        );
      }
      if (Date.now() >= giveUpAt) return false;
    }
  }

  async close(): Promise<void> {
    await this.client.endAsync(this.client.connected ? false : true);
  }
}
