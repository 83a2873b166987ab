export * from './moto/motoServer';
