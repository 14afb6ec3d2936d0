import path from 'node:path'
import { choice, integer, type OptionGroup, port, string } from './types.js'

const DATABASE_URLS =
  '`sqlite:///path` (one file), `mysql://user:pass@host/db` (MariaDB) or `postgresql://user:pass@host/db`'

/** The databases, the compute API and the built-in identity and image services. */
export const apiGroups = {
  database: {
    help: 'The cell database: instances, compute nodes, services.',
    options: {
      connection: string({
        default: 'sqlite:///$state_path/nova.sqlite',
        secret: true,
        help: `URL of the cell database: ${DATABASE_URLS}.`,
      }),
    },
  },
  api_database: {
    help: 'The API database: flavors, cells, build requests, server groups, aggregates, and the identity and image records.',
    options: {
      connection: string({
        default: 'sqlite:///$state_path/nova_api.sqlite',
        secret: true,
        help: `URL of the API database: ${DATABASE_URLS}.`,
      }),
    },
  },
  api: {
    help: 'The compute API.',
    options: {
      auth_strategy: choice({
        default: 'keystone',
        choices: {
          keystone: 'tokens of the identity service (the built-in one, or [keystone_authtoken] auth_url)',
          noauth2: 'the token is `user:project`, without a password; for tests only',
        },
        help: 'How the compute API authenticates requests.',
      }),
      max_limit: integer({
        default: 1000,
        min: 0,
        help: 'The most items a list request returns in one page, whatever `limit` it asks for.',
      }),
    },
  },
  token: {
    help: 'Tokens of the built-in identity service.',
    options: {
      expiration: integer({
        default: 3600,
        min: 0,
        help: 'Seconds a token stays valid after it is issued.',
      }),
    },
  },
  identity: {
    help: 'The built-in identity service (a Keystone v3 subset).',
    options: {
      bind_host: string({
        default: '',
        help: 'Address the identity service listens on; empty means [DEFAULT] osapi_compute_listen.',
      }),
      bind_port: port({
        default: 5000,
        help: 'Port the identity service listens on.',
      }),
      region_name: string({
        default: 'RegionOne',
        help: 'Region of the endpoints the bootstrap puts in the service catalog.',
      }),
      bootstrap_password: string({
        default: '',
        secret: true,
        help: "The admin's password, set when the all-in-one starts. Empty keeps the password of an earlier start, or generates one on the first (written to `$state_path/openrc`).",
      }),
    },
  },
  image: {
    help: 'The built-in image service (a Glance v2 subset).',
    options: {
      bind_host: string({
        default: '',
        help: 'Address the image service listens on; empty means [DEFAULT] osapi_compute_listen.',
      }),
      bind_port: port({
        default: 9292,
        help: 'Port the image service listens on.',
      }),
    },
  },
  glance_store: {
    help: "Where the image service keeps image data (glance_store's filesystem store).",
    options: {
      filesystem_store_datadir: string({
        default: '$state_path/images',
        help: 'Directory of the image data files. A relative path is taken from the working directory.',
        resolve: (value) => path.resolve(value),
      }),
    },
  },
  keystone_authtoken: {
    help: 'Token validation by an external Keystone (keystonemiddleware’s group), instead of the built-in identity service.',
    options: {
      www_authenticate_uri: string({
        default: '',
        help: 'The identity endpoint a 401 names to clients (`WWW-Authenticate`); empty means auth_url, or else the built-in identity service.',
      }),
      auth_url: string({
        default: '',
        help: 'A Keystone that validates the tokens of the compute and image APIs; empty means the built-in identity service does.',
      }),
    },
  },
} satisfies Record<string, OptionGroup>
