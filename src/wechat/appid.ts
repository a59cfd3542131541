/** The shape of a mini program's AppID: `wx` and 16 letters or digits. One pattern for every check of one. */
export const APPID = /^wx[0-9a-zA-Z]{16}$/
