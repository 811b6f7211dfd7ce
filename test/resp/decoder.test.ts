import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ProtocolError, ReplyError } from '../../src/errors.js';
import { Decoder } from '../../src/resp/decoder.js';
import type { RespValue } from '../../src/resp/types.js';
import {
  type Delivery,
  feedInChunks,
  Random,
  randomCuts,
  randomDelivery,
  recordingDecoder,
} from './resp-fixtures.js';

interface Case {
  /** Completes "decodes ...". */
  name: string;
  wire: string | Buffer;
  expected: Delivery[];
  buffers?: boolean;
}

setFlagsFromString('--expose-gc');
const gc = (globalThis.gc ?? runInNewContext('gc')) as () => void;

const replies = (...values: Array<RespValue | ProtocolError>): Delivery[] =>
  values.map((reply) => ({ reply }));
const map = (...entries: [RespValue, RespValue][]): Map<RespValue, RespValue> => new Map(entries);
const bytes = (...octets: number[]): Buffer => Buffer.from(octets);

/** What a top-level value malformed inside an intact frame is delivered as. */
const malformed = (message: string): Delivery[] => replies(new ProtocolError(message));

const cases: Case[] = [
  // RESP2
  { name: 'a simple string', wire: '+OK\r\n', expected: replies('OK') },
  { name: 'an empty simple string', wire: '+\r\n', expected: replies('') },
  {
    name: 'a simple string as a string in buffers mode',
    wire: '+OK\r\n',
    expected: replies('OK'),
    buffers: true,
  },
  {
    name: 'an error reply as a ReplyError with its code',
    wire: '-WRONGTYPE Operation against a key\r\n',
    expected: replies(new ReplyError('WRONGTYPE Operation against a key')),
  },
  { name: 'a positive integer', wire: ':1000\r\n', expected: replies(1000) },
  { name: 'a negative integer', wire: ':-42\r\n', expected: replies(-42) },
  { name: 'an integer with an explicit plus sign', wire: ':+7\r\n', expected: replies(7) },
  { name: 'negative zero as zero', wire: ':-0\r\n', expected: replies(0) },
  { name: 'a 16-digit integer as a number', wire: ':1000000000000000\r\n', expected: replies(1e15) },
  { name: '2^53 - 1 as a number', wire: ':9007199254740991\r\n', expected: replies(Number.MAX_SAFE_INTEGER) },
  {
    name: '-(2^53 - 1) as a number',
    wire: ':-9007199254740991\r\n',
    expected: replies(-Number.MAX_SAFE_INTEGER),
  },
  { name: '2^53 as an exact bigint', wire: ':9007199254740992\r\n', expected: replies(2n ** 53n) },
  { name: '-2^63 as an exact bigint', wire: ':-9223372036854775808\r\n', expected: replies(-(2n ** 63n)) },
  {
    name: '2^64 + 1 integer as an exact bigint',
    wire: ':18446744073709551617\r\n',
    expected: replies(2n ** 64n + 1n),
  },
  { name: 'a bulk string', wire: '$3\r\nbar\r\n', expected: replies('bar') },
  { name: 'an empty bulk string', wire: '$0\r\n\r\n', expected: replies('') },
  { name: 'a null bulk string', wire: '$-1\r\n', expected: replies(null) },
  { name: 'a bulk string holding CRLF', wire: '$6\r\na\r\n\r\nb\r\n', expected: replies('a\r\n\r\nb') },
  { name: 'a multibyte UTF-8 bulk string', wire: '$13\r\nhé€😀中\r\n', expected: replies('hé€😀中') },
  {
    name: 'a bulk string as a Buffer in buffers mode',
    wire: '$3\r\nbar\r\n',
    expected: replies(Buffer.from('bar')),
    buffers: true,
  },
  {
    name: 'a binary bulk string with CRLF and invalid UTF-8 in buffers mode',
    wire: Buffer.concat([
      Buffer.from('$7\r\n'),
      bytes(0xff, 0x0d, 0x0a, 0x00, 0xc3, 0x28, 0x0d),
      Buffer.from('\r\n'),
    ]),
    expected: replies(bytes(0xff, 0x0d, 0x0a, 0x00, 0xc3, 0x28, 0x0d)),
    buffers: true,
  },
  // Either side of the decoder's byte-loop copy (64 bytes), and well past it: each must be a copy
  // of its own, not a view of the scribbled read buffer.
  ...[64, 65, 1024].map((length) => {
    const payload = Buffer.alloc(length, 0).map((_, i) => (i * 7 + 1) & 0xff);
    return {
      name: `a ${length}-byte bulk string as a Buffer of its own in buffers mode`,
      wire: Buffer.concat([Buffer.from(`$${length}\r\n`), payload, Buffer.from('\r\n')]),
      expected: replies(Buffer.from(payload)),
      buffers: true,
    };
  }),
  {
    name: 'an empty bulk string as an empty Buffer',
    wire: '$0\r\n\r\n',
    expected: replies(Buffer.alloc(0)),
    buffers: true,
  },
  {
    name: 'a null bulk string as null in buffers mode',
    wire: '$-1\r\n',
    expected: replies(null),
    buffers: true,
  },
  {
    name: 'an array of bulk strings',
    wire: '*2\r\n$3\r\nfoo\r\n$3\r\nbar\r\n',
    expected: replies(['foo', 'bar']),
  },
  {
    name: 'an array of Buffers in buffers mode',
    wire: '*2\r\n$3\r\nfoo\r\n+OK\r\n',
    expected: replies([Buffer.from('foo'), 'OK']),
    buffers: true,
  },
  { name: 'an empty array', wire: '*0\r\n', expected: replies([]) },
  { name: 'a null array', wire: '*-1\r\n', expected: replies(null) },
  {
    name: 'an array holding nulls',
    wire: '*3\r\n$-1\r\n*-1\r\n_\r\n',
    expected: replies([null, null, null]),
  },
  {
    name: 'an array of mixed types',
    wire: '*4\r\n:1\r\n+two\r\n$5\r\nthree\r\n*1\r\n:4\r\n',
    expected: replies([1, 'two', 'three', [4]]),
  },
  {
    name: 'errors nested in an array as ReplyError values',
    wire: '*3\r\n+OK\r\n-ERR value is not an integer\r\n!10\r\nNOSCRIPT x\r\n',
    expected: replies(['OK', new ReplyError('ERR value is not an integer'), new ReplyError('NOSCRIPT x')]),
  },
  {
    name: 'nested arrays',
    wire: '*2\r\n*2\r\n:1\r\n*0\r\n*1\r\n*1\r\n$1\r\nx\r\n',
    expected: replies([[1, []], [['x']]]),
  },
  {
    name: 'arrays nested twelve deep',
    wire: `${'*1\r\n'.repeat(12)}:1\r\n`,
    expected: replies(Array.from({ length: 12 }).reduce<RespValue>((inner) => [inner], 1)),
  },
  // Malformed values inside intact frames: that one top-level value is lost, the stream goes on.
  {
    name: 'an integer with a letter as a ProtocolError value, and the next reply',
    wire: ':12a\r\n+OK\r\n',
    expected: [...malformed('Invalid RESP integer "12a": expected digits then CRLF'), ...replies('OK')],
  },
  {
    name: 'an integer without digits as a ProtocolError value',
    wire: ':\r\n',
    expected: malformed('Invalid RESP integer "": expected digits then CRLF'),
  },
  {
    name: 'an integer that is only a sign as a ProtocolError value',
    wire: ':-\r\n',
    expected: malformed('Invalid RESP integer "-": expected digits then CRLF'),
  },
  {
    name: "Redis 7.0's big number '(123  123' as a ProtocolError value, and the next reply",
    wire: '(123  123\r\n:5\r\n',
    expected: [...malformed('Invalid RESP big number "123  123": not a decimal integer'), ...replies(5)],
  },
  {
    name: 'a big number without digits as a ProtocolError value',
    wire: '(-\r\n',
    expected: malformed('Invalid RESP big number "-": no digits'),
  },
  {
    name: 'an array holding a malformed big number as one ProtocolError value, and the next reply',
    wire: '*3\r\n:1\r\n(12 3\r\n*1\r\n#x\r\n+OK\r\n',
    expected: [...malformed('Invalid RESP big number "12 3": not a decimal integer'), ...replies('OK')],
  },
  {
    name: 'booleans other than #t and #f as ProtocolError values',
    wire: '#x\r\n#tt\r\n#\r\n',
    expected: [
      ...malformed('Invalid RESP boolean "#x": expected #t or #f'),
      ...malformed('Invalid RESP boolean "#tt": expected #t or #f'),
      ...malformed('Invalid RESP boolean "#": expected #t or #f'),
    ],
  },
  {
    name: 'a RESP3 null with content as a ProtocolError value',
    wire: '_x\r\n',
    expected: malformed('Invalid RESP null "_x"'),
  },
  {
    name: 'malformed doubles as ProtocolError values',
    wire: ',1.2.3\r\n,\r\n,Infinity\r\n, 1\r\n',
    expected: [
      ...malformed('Invalid RESP double "1.2.3"'),
      ...malformed('Invalid RESP double ""'),
      ...malformed('Invalid RESP double "Infinity"'),
      ...malformed('Invalid RESP double " 1"'),
    ],
  },
  {
    name: 'verbatim strings without their format prefix as ProtocolError values',
    wire: '=3\r\nabc\r\n=5\r\ntxt-a\r\n$1\r\nx\r\n',
    expected: [
      ...malformed(`Invalid RESP verbatim string "abc": expected a 'fmt:' prefix`),
      ...malformed(`Invalid RESP verbatim string "txt-a": expected a 'fmt:' prefix`),
      ...replies('x'),
    ],
  },
  {
    name: 'a map whose first malformed value stands for the whole map',
    wire: '%2\r\n+a\r\n,x\r\n+b\r\n(y\r\n',
    expected: malformed('Invalid RESP double "x"'),
  },
  {
    name: 'a push holding a malformed value as a ProtocolError push, and the next reply',
    wire: '>2\r\n+message\r\n#maybe\r\n+OK\r\n',
    expected: [
      { push: new ProtocolError('Invalid RESP boolean "#maybe": expected #t or #f') },
      ...replies('OK'),
    ],
  },
  // RESP3
  { name: 'a RESP3 null', wire: '_\r\n', expected: replies(null) },
  { name: 'a double', wire: ',1.5\r\n', expected: replies(1.5) },
  { name: 'a double with an exponent', wire: ',1.5e10\r\n', expected: replies(1.5e10) },
  { name: 'a double with a negative uppercase exponent', wire: ',-2.5E-3\r\n', expected: replies(-2.5e-3) },
  { name: 'an integral double', wire: ',10\r\n', expected: replies(10) },
  { name: 'the double inf', wire: ',inf\r\n', expected: replies(Number.POSITIVE_INFINITY) },
  { name: 'the double +inf', wire: ',+inf\r\n', expected: replies(Number.POSITIVE_INFINITY) },
  { name: 'the double -inf', wire: ',-inf\r\n', expected: replies(Number.NEGATIVE_INFINITY) },
  { name: 'the double nan', wire: ',nan\r\n', expected: replies(Number.NaN) },
  { name: 'the boolean true', wire: '#t\r\n', expected: replies(true) },
  { name: 'the boolean false', wire: '#f\r\n', expected: replies(false) },
  {
    name: 'a blob error as a ReplyError',
    wire: '!21\r\nSYNTAX invalid syntax\r\n',
    expected: replies(new ReplyError('SYNTAX invalid syntax')),
  },
  {
    name: 'a verbatim string as its text',
    wire: '=15\r\ntxt:Some string\r\n',
    expected: replies('Some string'),
  },
  { name: 'an empty verbatim string', wire: '=4\r\nmkd:\r\n', expected: replies('') },
  {
    name: 'a verbatim string as a Buffer of its text in buffers mode',
    wire: '=9\r\ntxt:a\r\nbc\r\n',
    expected: replies(Buffer.from('a\r\nbc')),
    buffers: true,
  },
  {
    name: 'a big number',
    wire: '(3492890328409238509324850943850943825024385\r\n',
    expected: replies(3492890328409238509324850943850943825024385n),
  },
  { name: 'a negative big number', wire: '(-18446744073709551616\r\n', expected: replies(-(2n ** 64n)) },
  { name: 'a small big number as a bigint', wire: '(1\r\n', expected: replies(1n) },
  {
    name: 'a map',
    wire: '%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n:2\r\n',
    expected: replies(map(['first', 1], ['second', 2])),
  },
  { name: 'an empty map', wire: '%0\r\n', expected: replies(new Map()) },
  {
    name: 'a map with aggregate keys and values',
    wire: '%2\r\n*1\r\n:1\r\n%1\r\n+a\r\n#t\r\n~0\r\n_\r\n',
    expected: replies(map([[1], map(['a', true])], [[], null])),
  },
  { name: 'a set as an array', wire: '~3\r\n+a\r\n:1\r\n,2.5\r\n', expected: replies(['a', 1, 2.5]) },
  { name: 'an empty set', wire: '~0\r\n', expected: replies([]) },
  {
    name: 'the value after an attribute, dropping the attribute',
    wire: '|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n',
    expected: replies([2039123, 9543892]),
  },
  {
    name: 'an array element preceded by an attribute',
    wire: '*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n$1\r\nx\r\n',
    expected: replies([1, 'x']),
  },
  {
    name: 'a map value preceded by an attribute holding aggregates',
    wire: '%1\r\n+k\r\n|2\r\n+a\r\n*2\r\n:1\r\n:2\r\n+b\r\n%1\r\n+c\r\n_\r\n+v\r\n',
    expected: replies(map(['k', 'v'])),
  },
  { name: 'the value after an empty attribute', wire: '|0\r\n:5\r\n', expected: replies(5) },
  {
    name: 'the value after two attributes',
    wire: '|1\r\n+a\r\n:1\r\n|1\r\n+b\r\n:2\r\n+OK\r\n',
    expected: replies('OK'),
  },
  {
    name: 'a push frame to onPush',
    wire: '>3\r\n$7\r\nmessage\r\n$7\r\nchannel\r\n$5\r\nhello\r\n',
    expected: [{ push: ['message', 'channel', 'hello'] }],
  },
  { name: 'an empty push frame to onPush', wire: '>0\r\n', expected: [{ push: [] }] },
  {
    name: 'push frames interleaved with replies in order',
    wire: '+OK\r\n>2\r\n+invalidate\r\n*1\r\n$3\r\nkey\r\n:1\r\n>1\r\n+x\r\n',
    expected: [{ reply: 'OK' }, { push: ['invalidate', ['key']] }, { reply: 1 }, { push: ['x'] }],
  },
  {
    name: 'a push nested in an array as an array',
    wire: '*2\r\n>1\r\n+a\r\n:1\r\n',
    expected: replies([['a'], 1]),
  },
  {
    name: 'a push frame after an attribute to onPush',
    wire: '|1\r\n+a\r\n+b\r\n>1\r\n+m\r\n',
    expected: [{ push: ['m'] }],
  },
];

const wireOf = (testCase: Case): Buffer =>
  typeof testCase.wire === 'string' ? Buffer.from(testCase.wire) : testCase.wire;

function decodeInChunks(testCase: Case, cuts: readonly number[]): Delivery[] {
  const { decoder, deliveries } = recordingDecoder({ returnBuffers: testCase.buffers });
  feedInChunks(decoder, wireOf(testCase), cuts);
  return deliveries;
}

describe('Decoder', () => {
  for (const testCase of cases) {
    describe(`decodes ${testCase.name}`, () => {
      const wire = wireOf(testCase);

      it('fed as one chunk', () => {
        assert.deepStrictEqual(decodeInChunks(testCase, []), testCase.expected);
      });

      it('fed byte by byte', () => {
        const cuts = Array.from({ length: wire.length }, (_, i) => i + 1);
        assert.deepStrictEqual(decodeInChunks(testCase, cuts), testCase.expected);
      });

      it('split in two chunks at every position', () => {
        for (let cut = 1; cut < wire.length; cut++) {
          assert.deepStrictEqual(decodeInChunks(testCase, [cut]), testCase.expected, `split at ${cut}`);
        }
      });

      it('repeated three times in one chunk', () => {
        const { decoder, deliveries } = recordingDecoder({ returnBuffers: testCase.buffers });
        decoder.feed(Buffer.concat([wire, wire, wire]));
        assert.deepStrictEqual(deliveries, [
          ...testCase.expected,
          ...testCase.expected,
          ...testCase.expected,
        ]);
      });
    });
  }

  for (const buffers of [false, true]) {
    it(`decodes every ${buffers ? 'buffers-mode' : 'string-mode'} case back to back, in one chunk and in random chunks`, () => {
      const selected = cases.filter((testCase) => (testCase.buffers ?? false) === buffers);
      const wire = Buffer.concat(selected.map(wireOf));
      const expected = selected.flatMap((testCase) => testCase.expected);
      const whole = recordingDecoder({ returnBuffers: buffers });
      whole.decoder.feed(wire);
      assert.deepStrictEqual(whole.deliveries, expected);
      const random = new Random(7);
      for (let round = 0; round < 50; round++) {
        const chunked = recordingDecoder({ returnBuffers: buffers });
        feedInChunks(chunked.decoder, wire, randomCuts(random, wire.length, 1 + random.int(64)));
        assert.deepStrictEqual(chunked.deliveries, expected);
      }
    });
  }

  it('decodes an array longer than the preallocation cap', () => {
    const { decoder, deliveries } = recordingDecoder();
    decoder.feed(Buffer.from(`*3000\r\n${':7\r\n'.repeat(3000)}`));
    assert.deepStrictEqual(deliveries, replies(new Array(3000).fill(7)));
  });

  it('accepts a simple string line of exactly 64 KiB, whole and byte by byte', () => {
    const text = 'x'.repeat(64 * 1024);
    const wire = Buffer.from(`+${text}\r\n`);
    const whole = recordingDecoder();
    whole.decoder.feed(wire);
    assert.deepStrictEqual(whole.deliveries, replies(text));
    const chunked = recordingDecoder();
    feedInChunks(
      chunked.decoder,
      wire,
      Array.from({ length: wire.length }, (_, i) => i + 1),
    );
    assert.deepStrictEqual(chunked.deliveries, replies(text));
  });
});

describe('Decoder.returnBuffers', () => {
  it('applies to the next top-level value when switched between replies', () => {
    const deliveries: Delivery[] = [];
    const decoder: Decoder = new Decoder({
      onReply: (reply) => {
        deliveries.push({ reply });
        decoder.returnBuffers = !decoder.returnBuffers;
      },
      onPush: () => assert.fail('no push expected'),
    });
    decoder.feed(Buffer.from('$3\r\nfoo\r\n*1\r\n$3\r\nbar\r\n=7\r\ntxt:baz\r\n'));
    assert.deepStrictEqual(deliveries, replies('foo', [Buffer.from('bar')], 'baz'));
  });

  it('keeps the mode read at the start of a value that arrives in several chunks', () => {
    const { decoder, deliveries } = recordingDecoder();
    const wire = Buffer.from('*2\r\n$3\r\nfoo\r\n$3\r\nbar\r\n');
    for (let i = 0; i < wire.length; i++) {
      decoder.feed(wire.subarray(i, i + 1));
      decoder.returnBuffers = true;
    }
    assert.deepStrictEqual(deliveries, replies(['foo', 'bar']));
  });

  it('keeps the mode read at the start of a value whose header line was split', () => {
    const { decoder, deliveries } = recordingDecoder();
    decoder.feed(Buffer.from('$1'));
    decoder.returnBuffers = true;
    decoder.feed(Buffer.from('0\r\n0123456789\r\n$1\r\nx\r\n'));
    assert.deepStrictEqual(deliveries, replies('0123456789', Buffer.from('x')));
  });
});

describe('Decoder buffers', () => {
  it('returns a blob that spanned chunks as memory of its own', () => {
    const { decoder, deliveries } = recordingDecoder({ returnBuffers: true });
    const first = Buffer.from('$6\r\nabc');
    const second = Buffer.from('def\r\n');
    decoder.feed(first);
    decoder.feed(second);
    first.fill(0);
    second.fill(0);
    assert.deepStrictEqual(deliveries, replies(Buffer.from('abcdef')));
  });

  it('returns a blob that arrived in one chunk as memory of its own: the chunk is reused', () => {
    const { decoder, deliveries } = recordingDecoder({ returnBuffers: true });
    const chunk = Buffer.from('$3\r\nabc\r\n=7\r\ntxt:xyz\r\n');
    decoder.feed(chunk);
    chunk.fill(0);
    assert.deepStrictEqual(deliveries, replies(Buffer.from('abc'), Buffer.from('xyz')));
  });

  for (const size of [16 * 1024, 3 * 1024 * 1024]) {
    it(`collects a ${size / 1024} KiB blob from a reused read buffer, as a string and as a Buffer`, () => {
      const payload = Buffer.alloc(size);
      for (let i = 0; i < size; i++) payload[i] = 97 + (i % 26);
      const wire = Buffer.concat([Buffer.from(`$${size}\r\n`), payload, Buffer.from('\r\n')]);
      for (const returnBuffers of [false, true]) {
        const { decoder, deliveries } = recordingDecoder({ returnBuffers });
        const cuts: number[] = [];
        for (let at = 1000; at < wire.length; at += 64 * 1024) cuts.push(at);
        feedInChunks(decoder, wire, cuts);
        assert.equal(deliveries.length, 1);
        const value = 'reply' in deliveries[0] ? deliveries[0].reply : undefined;
        if (returnBuffers) assert.ok(payload.equals(value as Buffer));
        else assert.equal(value, payload.toString());
      }
    });
  }
});

describe('Decoder callbacks', () => {
  it('leave the decoder needing a reset when one throws, as the rest of the chunk is lost', () => {
    const decoder = new Decoder({
      onReply: () => {
        throw new Error('callback failed');
      },
      onPush: () => {},
    });
    assert.throws(() => decoder.feed(Buffer.from('+a\r\n+b\r\n')), /callback failed/);
    assert.throws(() => decoder.feed(Buffer.from('+c\r\n')), ProtocolError);
  });
});

describe('Decoder.pause', () => {
  /** Feeds `chunk`, feeding again what a paused feed left, as the connection's reader does. */
  const feedAll = (decoder: Decoder, chunk: Buffer): number => {
    let feeds = 0;
    for (let rest = chunk; rest.length > 0; feeds++) rest = rest.subarray(decoder.feed(rest));
    return feeds;
  };

  it('stops the feed after the value delivered and says where, so the rest can be fed later', () => {
    const seen: Array<RespValue | ProtocolError> = [];
    const decoder: Decoder = new Decoder({
      onReply: (reply) => {
        seen.push(reply);
        if (reply === 'first') decoder.pause();
      },
      onPush: () => assert.fail('no push expected'),
    });
    const chunk = Buffer.from('+first\r\n:2\r\n$3\r\nabc\r\n');
    assert.equal(decoder.feed(chunk), '+first\r\n'.length);
    assert.deepStrictEqual(seen, ['first']);
    assert.equal(decoder.feed(chunk.subarray('+first\r\n'.length)), chunk.length - '+first\r\n'.length);
    assert.deepStrictEqual(seen, ['first', 2, 'abc']);
  });

  it('returns the whole length when it pauses on the last value of the chunk', () => {
    const decoder: Decoder = new Decoder({ onReply: () => decoder.pause(), onPush: () => {} });
    assert.equal(decoder.feed(Buffer.from(':1\r\n')), 4);
    const chunk = Buffer.from(':1\r\n:2');
    assert.equal(decoder.feed(chunk), 4);
    // The partial ':2' is kept by the next feed, which delivers nothing to pause on.
    assert.equal(decoder.feed(chunk.subarray(4)), 2);
    assert.equal(decoder.feed(Buffer.from('\r\n')), 2);
  });

  it('pauses on a value completed from a header line or a blob begun in an earlier chunk', () => {
    const seen: RespValue[] = [];
    const decoder: Decoder = new Decoder({
      onReply: (reply) => {
        seen.push(reply as RespValue);
        decoder.pause();
      },
      onPush: () => {},
    });
    decoder.feed(Buffer.from(':12'));
    assert.equal(decoder.feed(Buffer.from('3\r\n+next\r\n')), 3);
    assert.deepStrictEqual(seen, [123]);
    decoder.feed(Buffer.from('+next\r\n'));
    decoder.feed(Buffer.from('$5\r\nab'));
    assert.equal(decoder.feed(Buffer.from('cde\r\n:7\r\n')), 5);
    assert.deepStrictEqual(seen, [123, 'next', 'abcde']);
  });

  it('pauses on a push frame too', () => {
    const seen: Delivery[] = [];
    const decoder: Decoder = new Decoder({
      onReply: (reply) => seen.push({ reply }),
      onPush: (push) => {
        seen.push({ push });
        decoder.pause();
      },
    });
    const chunk = Buffer.from('>0\r\n>1\r\n+a\r\n+b\r\n');
    assert.equal(decoder.feed(chunk), 4);
    assert.equal(decoder.feed(chunk.subarray(4)), 8);
    assert.equal(decoder.feed(chunk.subarray(12)), 4);
    assert.deepStrictEqual(seen, [{ push: [] }, { push: ['a'] }, { reply: 'b' }]);
  });

  it('delivers exactly what an unpaused decoder does, whatever the values, chunks and pauses', () => {
    const random = new Random(0x9a05e);
    for (let iteration = 0; iteration < 2000; iteration++) {
      const buffers = random.int(3) === 0;
      const samples = Array.from({ length: 1 + random.int(6) }, () => randomDelivery(random, 4, buffers));
      const wire = Buffer.concat(samples.map((sample) => sample.wire));
      const deliveries: Delivery[] = [];
      const pauseOneIn = 1 + random.int(3);
      const decoder: Decoder = new Decoder({
        onReply: (reply) => {
          deliveries.push({ reply });
          if (random.int(pauseOneIn) === 0) decoder.pause();
        },
        onPush: (push) => {
          deliveries.push({ push });
          if (random.int(pauseOneIn) === 0) decoder.pause();
        },
      });
      decoder.returnBuffers = buffers;
      let start = 0;
      for (const cut of [...randomCuts(random, wire.length, random.pick([1, 3, 16, 256])), wire.length]) {
        if (cut > start) feedAll(decoder, Buffer.from(wire.subarray(start, cut)));
        start = cut;
      }
      assert.deepStrictEqual(
        deliveries,
        samples.map((sample) => sample.expected),
        `iteration ${iteration}`,
      );
    }
  });
});

describe('Decoder.reset', () => {
  it('drops a partial value so the next input starts fresh', () => {
    const { decoder, deliveries } = recordingDecoder();
    decoder.feed(Buffer.from('*2\r\n$10\r\nabc'));
    decoder.reset();
    decoder.feed(Buffer.from('+OK\r\n'));
    assert.deepStrictEqual(deliveries, replies('OK'));
  });

  it('drops a partial header line', () => {
    const { decoder, deliveries } = recordingDecoder();
    decoder.feed(Buffer.from(':12'));
    decoder.reset();
    decoder.feed(Buffer.from(':3\r\n'));
    assert.deepStrictEqual(deliveries, replies(3));
  });

  it('called from onReply stops decoding the rest of the chunk', () => {
    const seen: Array<RespValue | ProtocolError> = [];
    const decoder: Decoder = new Decoder({
      onReply: (reply) => {
        seen.push(reply);
        decoder.reset();
      },
      onPush: () => assert.fail('no push expected'),
    });
    decoder.feed(Buffer.from('+first\r\n+second\r\n'));
    decoder.feed(Buffer.from('+third\r\n'));
    assert.deepStrictEqual(seen, ['first', 'third']);
  });

  it('makes a decoder usable again after a protocol error', () => {
    const { decoder, deliveries } = recordingDecoder();
    assert.throws(() => decoder.feed(Buffer.from('?\r\n')), ProtocolError);
    assert.throws(() => decoder.feed(Buffer.from('+OK\r\n')), ProtocolError);
    decoder.reset();
    decoder.feed(Buffer.from('+OK\r\n'));
    assert.deepStrictEqual(deliveries, replies('OK'));
  });
});

const invalidInputs: { name: string; wire: string }[] = [
  { name: 'an unknown type byte', wire: 'A\r\n' },
  { name: 'an unknown type byte after a complete reply', wire: '+OK\r\nhello\r\n' },
  { name: 'a length with a letter', wire: '$1x\r\n' },
  { name: 'an empty length', wire: '*\r\n' },
  { name: 'a length with a plus sign', wire: '$+3\r\nfoo\r\n' },
  { name: 'a bulk length of -2', wire: '$-2\r\n' },
  { name: 'an array length of -2', wire: '*-2\r\n' },
  { name: 'a bulk length of -0', wire: '$-0\r\n' },
  { name: 'a map length of -1', wire: '%-1\r\n' },
  { name: 'a blob error length of -1', wire: '!-1\r\n' },
  { name: 'a length over 2^63', wire: '$99999999999999999999\r\n' },
  { name: 'a bulk length over the default limit', wire: '$9999999999\r\n' },
  { name: 'an array length over the default limit', wire: '*99999999999\r\n' },
  { name: 'a bulk string not followed by CRLF', wire: '$3\r\nfooXY' },
  { name: 'a bulk string followed by CR and another byte', wire: '$3\r\nfoo\rX' },
  { name: 'a CR not followed by LF', wire: '+OK\rX\r\n' },
  { name: 'an integer with a CR not followed by LF', wire: ':12\rX\r\n' },
  { name: 'a malformed integer with a CR not followed by LF', wire: ':1a\rX\r\n' },
  { name: 'a malformed integer line over 64 KiB', wire: `:1a${'1'.repeat(64 * 1024 + 10)}\r\n` },
  { name: 'arrays nested deeper than maxReplyDepth (1024)', wire: '*1\r\n'.repeat(1025) },
  { name: 'a length line with CR not followed by LF', wire: '*1\rX' },
  { name: 'an invalid element inside an array', wire: '*2\r\n:1\r\n?\r\n' },
  { name: 'a simple string line over 64 KiB without CRLF', wire: `+${'x'.repeat(64 * 1024 + 10)}` },
  { name: 'a simple string line over 64 KiB with CRLF', wire: `+${'x'.repeat(64 * 1024 + 1)}\r\n` },
  { name: 'an integer line over 64 KiB', wire: `:${'1'.repeat(64 * 1024 + 10)}` },
  { name: 'a double line over 64 KiB', wire: `,${'1'.repeat(64 * 1024 + 10)}` },
];

describe('Decoder rejects invalid input with a ProtocolError', () => {
  for (const input of invalidInputs) {
    it(`on ${input.name}, fed as one chunk`, () => {
      const { decoder } = recordingDecoder();
      assert.throws(() => decoder.feed(Buffer.from(input.wire)), ProtocolError);
    });

    it(`on ${input.name}, fed byte by byte`, () => {
      const { decoder } = recordingDecoder();
      const wire = Buffer.from(input.wire);
      assert.throws(
        () =>
          feedInChunks(
            decoder,
            wire,
            Array.from({ length: wire.length }, (_, i) => i + 1),
          ),
        ProtocolError,
      );
    });
  }

  it('on a bulk string longer than maxBulkLength, but accepts one of exactly that length', () => {
    const decoder = new Decoder({ onReply: () => {}, onPush: () => {}, maxBulkLength: 3 });
    decoder.feed(Buffer.from('$3\r\nfoo\r\n'));
    assert.throws(() => decoder.feed(Buffer.from('$4\r\n')), /maxBulkLength/);
  });

  it('on an aggregate longer than maxAggregateLength, but accepts one of exactly that length', () => {
    const decoder = new Decoder({ onReply: () => {}, onPush: () => {}, maxAggregateLength: 2 });
    decoder.feed(Buffer.from('%2\r\n:1\r\n:1\r\n:2\r\n:2\r\n'));
    assert.throws(() => decoder.feed(Buffer.from('~3\r\n')), /maxAggregateLength/);
  });

  it('on huge declared lengths at once, without allocating for them', () => {
    const before = process.memoryUsage().rss;
    for (const wire of ['$9999999999\r\n', '*99999999999\r\n', '%9999999999\r\n']) {
      const { decoder } = recordingDecoder();
      assert.throws(() => decoder.feed(Buffer.from(wire)), ProtocolError);
    }
    assert.ok(process.memoryUsage().rss - before < 100 * 1024 * 1024);
  });
});

describe('Decoder memory', () => {
  it('does not allocate a declared length within the limits before its bytes arrive', () => {
    const before = process.memoryUsage().rss;
    const decoders = ['$500000000\r\nabc', '*60000000\r\n:1\r\n', '%60000000\r\n'].map((wire) => {
      const { decoder, deliveries } = recordingDecoder();
      decoder.feed(Buffer.from(wire));
      assert.deepStrictEqual(deliveries, []);
      return decoder;
    });
    assert.ok(process.memoryUsage().rss - before < 100 * 1024 * 1024);
    assert.equal(decoders.length, 3);
  });

  it('decodes a 64 MiB bulk string fed in 64 KiB chunks in under a second of CPU time', () => {
    const size = 64 * 1024 * 1024;
    const header = `$${size}\r\n`;
    const wire = Buffer.alloc(header.length + size + 2);
    wire.write(header);
    for (let i = header.length; i < wire.length; i += 4093) wire[i] = i & 0xff;
    wire.write('\r\n', wire.length - 2);
    const { decoder, deliveries } = recordingDecoder({ returnBuffers: true });
    // CPU time rather than wall time, so that a busy machine does not fail the test.
    const started = process.cpuUsage();
    for (let at = 0; at < wire.length; at += 64 * 1024) decoder.feed(wire.subarray(at, at + 64 * 1024));
    const used = process.cpuUsage(started);
    const elapsed = (used.user + used.system) / 1000;
    assert.equal(deliveries.length, 1);
    const decoded = 'reply' in deliveries[0] ? deliveries[0].reply : null;
    assert.ok(wire.subarray(header.length, header.length + size).equals(decoded as Buffer));
    assert.ok(elapsed < 1000, `took ${elapsed.toFixed(0)} ms`);
  });
});

describe('Decoder bounds', () => {
  const heapUsed = (): number => {
    for (let i = 0; i < 3; i++) gc();
    return process.memoryUsage().heapUsed;
  };

  it('refuses nesting deeper than maxReplyDepth, but accepts exactly that depth', () => {
    const deliveries: Delivery[] = [];
    const limited = new Decoder({
      onReply: (reply) => deliveries.push({ reply }),
      onPush: () => {},
      maxReplyDepth: 3,
    });
    limited.feed(Buffer.from('*1\r\n*2\r\n*0\r\n*1\r\n:1\r\n'));
    assert.deepStrictEqual(deliveries, replies([[[], [1]]]));
    assert.throws(() => limited.feed(Buffer.from('*1\r\n*1\r\n*1\r\n%1\r\n')), /maxReplyDepth \(3\)/);
  });

  it('refuses a reply declaring more than maxReplyElements in all, counting each reply afresh', () => {
    const deliveries: Delivery[] = [];
    const decoder = new Decoder({
      onReply: (reply) => deliveries.push({ reply }),
      onPush: () => {},
      maxReplyElements: 4,
    });
    decoder.feed(Buffer.from('*2\r\n*1\r\n:1\r\n*1\r\n:2\r\n'.repeat(2)));
    assert.deepStrictEqual(deliveries, replies([[1], [2]], [[1], [2]]));
    assert.throws(() => decoder.feed(Buffer.from('*2\r\n%3\r\n')), /maxReplyElements \(4\)/);
  });

  it('stops the nesting of *1024 headers at maxReplyDepth, allocating next to nothing', () => {
    const wire = Buffer.from('*1024\r\n'.repeat(100_000));
    const before = heapUsed();
    const { decoder } = recordingDecoder();
    assert.throws(() => decoder.feed(wire), /maxReplyDepth \(1024\)/);
    assert.ok(heapUsed() - before < 4 * 1024 * 1024, 'under 4 MiB');
  });

  it('does not preallocate declared elements level after level, even with no depth limit to speak of', () => {
    // The issue 9 reproduction: 0.7 MiB of input used to grow the heap by 800 MiB.
    const wire = Buffer.from('*1024\r\n'.repeat(100_000));
    const decoder = new Decoder({
      onReply: () => {},
      onPush: () => {},
      maxReplyDepth: 1_000_000,
      maxReplyElements: 2 ** 40,
    });
    const before = heapUsed();
    decoder.feed(wire);
    const grown = heapUsed() - before;
    assert.ok(grown < 32 * 1024 * 1024, `grew ${(grown / 1048576).toFixed(1)} MiB`);
    decoder.reset();
  });

  it('lets go of what a 100,000-deep reply needed once it is delivered', () => {
    const depth = 100_000;
    const last: { reply: RespValue | ProtocolError } = { reply: null };
    const decoder = new Decoder({
      onReply: (reply) => {
        last.reply = reply;
      },
      onPush: () => {},
      maxReplyDepth: depth,
    });
    const before = heapUsed();
    decoder.feed(Buffer.from(`${'*1\r\n'.repeat(depth)}:7\r\n`));
    let innermost: unknown = last.reply;
    for (let level = 0; level < depth; level++) innermost = (innermost as unknown[])[0];
    assert.equal(innermost, 7);
    last.reply = null;
    innermost = null;
    const retained = heapUsed() - before;
    assert.ok(retained < 1024 * 1024, `kept ${(retained / 1048576).toFixed(1)} MiB`);
    decoder.feed(Buffer.from('+still usable\r\n'));
    assert.equal(last.reply, 'still usable');
  });
});

describe('Decoder fuzzing', () => {
  it('decodes thousands of random valid RESP3 replies and pushes fed in random chunks', () => {
    const random = new Random(0x5eed);
    for (let iteration = 0; iteration < 3000; iteration++) {
      const buffers = random.int(3) === 0;
      const samples = Array.from({ length: 1 + random.int(4) }, () => randomDelivery(random, 4, buffers));
      const wire = Buffer.concat(samples.map((sample) => sample.wire));
      const { decoder, deliveries } = recordingDecoder({ returnBuffers: buffers });
      feedInChunks(decoder, wire, randomCuts(random, wire.length, random.pick([1, 3, 16, 256])));
      assert.deepStrictEqual(
        deliveries,
        samples.map((sample) => sample.expected),
        `iteration ${iteration}`,
      );
    }
  });

  it('meets random and mutated bytes with values, waiting, or a ProtocolError only', () => {
    const random = new Random(0xbad);
    const alphabet = Buffer.from('+-:$*_,#!=(%~|>0123456789-.\r\ntfinaex');
    for (let iteration = 0; iteration < 3000; iteration++) {
      let wire: Buffer;
      if (random.int(2) === 0) {
        wire = Buffer.concat(
          Array.from({ length: 1 + random.int(3) }, () => randomDelivery(random, 3, false).wire),
        );
        for (let flips = 1 + random.int(3); flips > 0; flips--) {
          wire[random.int(wire.length)] = random.int(2) === 0 ? random.int(256) : random.pick([...alphabet]);
        }
      } else {
        const length = 1 + random.int(60);
        wire = Buffer.from(
          Array.from({ length }, () => (random.int(4) === 0 ? random.int(256) : random.pick([...alphabet]))),
        );
      }
      const decoder = new Decoder({ onReply: () => {}, onPush: () => {} });
      decoder.returnBuffers = random.int(2) === 0;
      try {
        feedInChunks(decoder, wire, randomCuts(random, wire.length, 1 + random.int(16)));
      } catch (error) {
        assert.ok(error instanceof ProtocolError, `iteration ${iteration}: ${String(error)}`);
      }
    }
  });
});
