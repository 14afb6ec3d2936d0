import { boolean, integer, type OptionGroup, type StringFormat, string } from './types.js'

const VERSION_CAP: StringFormat = { pattern: /^(auto|\d+\.\d+)?$/, rule: "empty, 'auto' or a version X.Y" }

function versionCap(help: string) {
  return string({ default: '', format: VERSION_CAP, help })
}

/** The message bus, and the conductor's re-drive of work whose message was lost. */
export const messagingGroups = {
  oslo_messaging_rabbit: {
    help: "oslo.messaging's RabbitMQ driver, under its option names.",
    options: {
      amqp_durable_queues: boolean({
        default: false,
        help: 'Make the control exchange and the topic queues durable and their messages persistent, so queued requests survive a broker restart; every service on one broker must agree.',
      }),
      ssl: boolean({
        default: false,
        help: 'Connect to RabbitMQ over TLS.',
      }),
      ssl_ca_file: string({
        default: '',
        help: "CA certificates that verify the broker's certificate (with ssl only); empty means the system's.",
      }),
      ssl_cert_file: string({
        default: '',
        help: 'Client certificate presented to the broker (with ssl only); empty means none.',
      }),
      ssl_key_file: string({
        default: '',
        help: 'Private key of ssl_cert_file (with ssl only).',
      }),
      ssl_version: string({
        default: '',
        help: 'TLS protocol version to use, such as `TLSv1_2` (with ssl only); empty lets client and broker agree on one.',
      }),
    },
  },
  upgrade_levels: {
    help: 'Caps on the RPC API versions sent to each service, so old and new services can run side by side during an upgrade.',
    options: {
      compute: versionCap(
        'The highest compute RPC API version that nova-api and nova-conductor send to nova-compute, for rolling upgrades. Empty: no cap, each message in its newest form. `X.Y`: at most that version (e.g. `6.0` while some computes run the previous release). `auto`: the version the oldest running nova-compute serves, found from the lowest service version in the cell database (forced-down services aside), re-read every minute and logged when it changes. A method whose needed form is above the cap falls back to an older form where one exists, or fails at once naming the method, the version needed and the cap.',
      ),
      conductor: versionCap(
        "The highest conductor RPC API version (the 3.x API compute hosts call) sent to nova-conductor, for rolling upgrades; compute hosts honour it too. Empty or `auto`: no cap, since the conductor is upgraded before the computes (`auto` needs no database here). `X.Y`: at most that version. The conductor's `compute_task` namespace (1.x) is not capped, as in Nova.",
      ),
      scheduler: versionCap(
        'The highest scheduler RPC API version nova-conductor sends to nova-scheduler, for rolling upgrades. Empty or `auto`: no cap, since the scheduler is upgraded with the conductor, before the computes. `X.Y`: at most that version; select_destinations has no form older than 4.5, so a lower cap makes every build fail at once, with an error naming the method, the version needed and the cap.',
      ),
    },
  },
  conductor: {
    help: "tsnova's own: the conductor's re-drive of work whose message was lost (a broker restart with transient queues, a dropped reply).",
    options: {
      redrive_threshold: integer({
        default: 60,
        min: 0,
        help: 'Seconds a build request no conductor took, a build a host never started, a delete a host never finished or an action (stop, reboot, pause, …) a host never took stays unchanged before it is sent again; 0 turns the re-drive off.',
      }),
      redrive_interval: integer({
        default: 30,
        min: 0,
        help: 'Seconds between two looks for stalled work; 0 turns the re-drive off.',
      }),
      redrive_max_attempts: integer({
        default: 3,
        min: 1,
        help: 'How many times the same work is re-driven; after that many, its server goes to ERROR (an action: its task_state is cleared).',
      }),
    },
  },
} satisfies Record<string, OptionGroup>
