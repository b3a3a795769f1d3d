export * from './dim';
export * from './shape';
export * from './range';
export * from './diagnostic';
export * from './codes';
