/**
 * Config schemas of Kong's traffic plugins (response-ratelimiting, proxy-cache, redirect,
 * grpc-gateway, grpc-web): the defaults Kong fills, the deprecated redis names it still takes,
 * and the configs it refuses with its messages.
 */
import { checkPlugin } from '../helpers/plugin-config.js'

const REDIS = { host: null, port: 6379, timeout: 2000, username: null, password: null, database: 0, ssl: false, ssl_verify: false, server_name: null }
const PERIODS = { second: null, minute: null, hour: null, day: null, month: null, year: null }
const POLICY = "failed conditional validation given value of field 'config.policy'"

checkPlugin(
  'response-ratelimiting',
  [
    {
      desc: 'one limit gets every default (Kong spec)',
      config: { limits: { video: { second: 1 } } },
      full: true,
      expect: {
        header_name: 'x-kong-limit',
        limit_by: 'consumer',
        policy: 'local',
        fault_tolerant: true,
        redis: REDIS,
        block_on_first_violation: false,
        hide_client_headers: false,
        limits: { video: { ...PERIODS, second: 1 } },
      },
    },
    { desc: 'every period in order (Kong spec)', config: { limits: { video: { second: 1, minute: 2, hour: 3, day: 4, month: 5, year: 6 } } }, expect: { limits: { video: { second: 1, year: 6 } } } },
    { desc: 'a null period is unset (Kong issue 8314)', config: { limits: { video: { second: null, minute: 1 } } }, expect: { limits: { video: { second: null, minute: 1 } } } },
    {
      desc: 'the redis record (Kong spec)',
      config: { policy: 'redis', limits: { video: { minute: 1 } }, redis: { host: 'redis.test', port: 6380, password: '', ssl: true, server_name: 'redis.test' } },
      expect: { redis: { ...REDIS, host: 'redis.test', port: 6380, password: '', ssl: true, server_name: 'redis.test' } },
    },
    {
      desc: 'the deprecated redis_* names fill the redis record (Kong spec)',
      config: {
        policy: 'redis',
        limits: { video: { minute: 1 } },
        redis_host: 'redis.test',
        redis_port: 6380,
        redis_username: 'u',
        redis_password: 'p',
        redis_ssl: true,
        redis_ssl_verify: true,
        redis_server_name: 'redis.test',
        redis_timeout: 500,
        redis_database: 2,
      },
      full: true,
      expect: {
        header_name: 'x-kong-limit',
        limit_by: 'consumer',
        policy: 'redis',
        fault_tolerant: true,
        redis: { host: 'redis.test', port: 6380, timeout: 500, username: 'u', password: 'p', database: 2, ssl: true, ssl_verify: true, server_name: 'redis.test' },
        block_on_first_violation: false,
        hide_client_headers: false,
        limits: { video: { ...PERIODS, minute: 1 } },
      },
    },
    { desc: 'a deprecated name equal to the new one', config: { limits: { v: { day: 1 } }, redis_host: 'a.test', redis: { host: 'a.test' } }, expect: { redis: { host: 'a.test' } } },
  ],
  [
    { desc: 'no limits (Kong spec)', config: {}, errors: { config: { limits: 'required field missing' } } },
    { desc: 'empty limits (Kong spec)', config: { limits: {} }, errors: { config: { limits: 'length must be at least 1' } } },
    {
      desc: 'an unknown period (Kong spec), which also leaves the limit without one',
      config: { limits: { video: { seco: 1 } } },
      errors: { config: { limits: { seco: 'unknown field', '@entity': ["at least one of these fields must be non-empty: 'second', 'minute', 'hour', 'day', 'month', 'year'"] } } },
    },
    {
      desc: 'a limit with no period',
      config: { limits: { video: {} } },
      errors: { config: { limits: { '@entity': ["at least one of these fields must be non-empty: 'second', 'minute', 'hour', 'day', 'month', 'year'"] } } },
    },
    { desc: 'a longer period allowing less (Kong spec)', config: { limits: { video: { second: 2, minute: 1 } } }, errors: { config: { limits: 'the limit for minute(1.0) cannot be lower than the limit for second(2.0)' } } },
    {
      desc: 'a longer period allowing less (Kong spec, bis)',
      config: { limits: { video: { second: 1, minute: 2, hour: 3, day: 4, month: 6, year: 5 } } },
      errors: { config: { limits: 'the limit for year(5.0) cannot be lower than the limit for month(6.0)' } },
    },
    { desc: 'a period instead of a named limit (Kong spec)', config: { limits: { second: 10 } }, errors: { config: { limits: 'expected a record' } } },
    { desc: 'a zero limit', config: { limits: { video: { minute: 0 } } }, errors: { config: { limits: { minute: 'value must be greater than 0' } } } },
    { desc: 'the cluster policy, which needs a database', config: { policy: 'cluster', limits: { v: { day: 1 } } }, errors: { config: { policy: 'expected one of: local, redis' } } },
    {
      desc: 'the redis policy without a host (Kong spec)',
      config: { policy: 'redis', limits: { v: { day: 1 } }, redis: { port: 6379 } },
      errors: { config: { redis: { host: 'required field missing' }, '@entity': [POLICY] } },
    },
    {
      desc: 'a deprecated name and the new one disagree',
      config: { limits: { v: { day: 1 } }, redis_host: 'a.test', redis: { host: 'b.test' } },
      errors: { config: { redis_host: 'both deprecated and new field are used but their values mismatch: redis_host = a.test vs redis.host = b.test' } },
    },
    { desc: 'a deprecated name of the wrong type', config: { limits: { v: { day: 1 } }, redis_port: 'six' }, errors: { config: { redis_port: 'expected an integer' } } },
    { desc: 'a redis server name that is an IP', config: { limits: { v: { day: 1 } }, redis: { server_name: '10.0.0.1' } }, errors: { config: { redis: { server_name: 'must not be an IP' } } } },
  ],
)

const CACHE_DEFAULTS = {
  response_code: [200, 301, 404],
  request_method: ['GET', 'HEAD'],
  content_type: ['text/plain', 'application/json'],
  cache_ttl: 300,
  strategy: 'memory',
  cache_control: false,
  ignore_uri_case: false,
  storage_ttl: null,
  memory: { dictionary_name: 'kong_db_cache' },
  vary_query_params: null,
  vary_headers: null,
  response_headers: { age: true, 'X-Cache-Status': true, 'X-Cache-Key': true },
}

checkPlugin(
  'proxy-cache',
  [
    { desc: 'the memory strategy gets every default (Kong spec)', config: { strategy: 'memory' }, full: true, expect: CACHE_DEFAULTS },
    {
      desc: 'its own codes, methods, vary lists and headers',
      config: { strategy: 'memory', response_code: [200], request_method: ['POST'], vary_headers: ['accept'], vary_query_params: ['page'], response_headers: { age: false } },
      expect: { response_code: [200], request_method: ['POST'], vary_headers: ['accept'], vary_query_params: ['page'], response_headers: { age: false, 'X-Cache-Status': true, 'X-Cache-Key': true } },
    },
    { desc: 'wildcard and parameterized content types (Kong spec)', config: { strategy: 'memory', content_type: ['application/*', '*/text', 'application/json; charset=UTF-8'] }, expect: { content_type: ['application/*', '*/text', 'application/json; charset=UTF-8'] } },
    { desc: 'another shared dictionary Kong declares', config: { strategy: 'memory', memory: { dictionary_name: 'kong' } }, expect: { memory: { dictionary_name: 'kong' } } },
  ],
  [
    { desc: 'no strategy (Kong spec)', config: {}, errors: { config: { strategy: 'required field missing' } } },
    { desc: 'an unknown strategy (Kong spec)', config: { strategy: 'redis' }, errors: { config: { strategy: 'expected one of: memory' } } },
    { desc: 'no response codes (Kong spec)', config: { strategy: 'memory', response_code: [] }, errors: { config: { response_code: 'length must be at least 1' } } },
    { desc: 'a response code out of range (Kong spec)', config: { strategy: 'memory', response_code: [99] }, errors: { config: { response_code: ['value should be between 100 and 900'] } } },
    { desc: 'a response code that is a string (Kong spec)', config: { strategy: 'memory', response_code: ['123'] }, errors: { config: { response_code: ['expected an integer'] } } },
    { desc: 'response codes of the wrong types (Kong spec)', config: { strategy: 'memory', response_code: [true, 'alo', 123] }, errors: { config: { response_code: ['expected an integer', 'expected an integer'] } } },
    { desc: 'a fractional response code (Kong spec)', config: { strategy: 'memory', response_code: [123.5] }, errors: { config: { response_code: ['expected an integer'] } } },
    { desc: 'response codes as a string (Kong spec)', config: { strategy: 'memory', response_code: '' }, errors: { config: { response_code: 'expected an array' } } },
    { desc: 'an uncacheable method', config: { strategy: 'memory', request_method: ['DELETE'] }, errors: { config: { request_method: ['expected one of: HEAD, GET, POST, PATCH, PUT'] } } },
    { desc: 'a zero ttl (Kong spec)', config: { strategy: 'memory', cache_ttl: 0 }, errors: { config: { cache_ttl: 'value must be greater than 0' } } },
    { desc: 'a dictionary Kong does not declare (Kong spec)', config: { strategy: 'memory', memory: { dictionary_name: 'foo' } }, errors: { config: { '@entity': ["missing shared dict 'foo'"] } } },
  ],
)

checkPlugin(
  'redirect',
  [
    { desc: 'a location gets every default (Kong spec)', config: { location: 'https://example.com' }, full: true, expect: { status_code: 301, location: 'https://example.com', keep_incoming_path: false } },
    { desc: 'its own status and path keeping (Kong spec)', config: { status_code: 404, location: 'https://example.com', keep_incoming_path: true }, expect: { status_code: 404, keep_incoming_path: true } },
  ],
  [
    { desc: 'no location (Kong spec)', config: { status_code: 301 }, errors: { config: { location: 'required field missing' } } },
    { desc: 'a location that is not a URL (Kong spec)', config: { location: 'definitely_not_a_url' }, errors: { config: { location: 'missing host in url' } } },
    { desc: 'a location without a scheme', config: { location: '//example.com/x' }, errors: { config: { location: 'missing scheme in url' } } },
    { desc: 'a status that is a string (Kong spec)', config: { status_code: 'abcd', location: 'https://example.com' }, errors: { config: { status_code: 'expected an integer' } } },
    { desc: 'a status below 100 (Kong spec)', config: { status_code: 99, location: 'https://example.com' }, errors: { config: { status_code: 'value should be between 100 and 599' } } },
    { desc: 'a status above 599 (Kong spec)', config: { status_code: 600, location: 'https://example.com' }, errors: { config: { status_code: 'value should be between 100 and 599' } } },
  ],
)

checkPlugin(
  'grpc-gateway',
  [
    { desc: 'an empty config', config: {}, full: true, expect: { proto: null } },
    { desc: 'a proto file', config: { proto: '/protos/hello.proto' }, expect: { proto: '/protos/hello.proto' } },
  ],
  [{ desc: 'an unknown field', config: { protos: 'x' }, errors: { config: { protos: 'unknown field' } } }],
)

checkPlugin(
  'grpc-web',
  [
    { desc: 'an empty config', config: {}, full: true, expect: { proto: null, pass_stripped_path: null, allow_origin_header: '*' } },
    { desc: 'every field', config: { proto: '/p.proto', pass_stripped_path: true, allow_origin_header: 'https://app.test' }, expect: { pass_stripped_path: true, allow_origin_header: 'https://app.test' } },
  ],
  [{ desc: 'a path flag that is not a boolean', config: { pass_stripped_path: 'yes' }, errors: { config: { pass_stripped_path: 'expected a boolean' } } }],
)

checkPlugin(
  'rate-limiting',
  [
    {
      desc: "decK files of Kong 3.5 and before: the flat redis_* names (Kong's deprecated shorthands)",
      config: { minute: 5, policy: 'redis', redis_host: 'redis.test', redis_port: 6380, redis_password: '', redis_timeout: 500, redis_database: 1, redis_ssl: true, redis_server_name: 'redis.test' },
      expect: { redis: { host: 'redis.test', port: 6380, password: '', timeout: 500, database: 1, ssl: true, ssl_verify: false, server_name: 'redis.test', username: null } },
    },
  ],
  [
    {
      desc: 'a deprecated name and its new field at odds',
      config: { minute: 5, redis_port: 1, redis: { port: 2 } },
      errors: { config: { redis_port: 'both deprecated and new field are used but their values mismatch: redis_port = 1 vs redis.port = 2' } },
    },
    { desc: 'a redis server name that is an IP (shared redis schema)', config: { minute: 5, redis: { server_name: '10.0.0.1' } }, errors: { config: { redis: { server_name: 'must not be an IP' } } } },
  ],
)
