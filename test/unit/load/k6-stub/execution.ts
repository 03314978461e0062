import { stub } from './state.ts';

export default {
  scenario: {
    get iterationInTest() {
      return stub().iteration;
    },
    get startTime() {
      return stub().startTime;
    },
  },
};
